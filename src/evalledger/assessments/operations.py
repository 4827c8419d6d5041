"""The assessments group's operations (seed 003, MASS skill assessments): students, their
assessments with evidence, and the project's backup file, under ``/api/v1``.

The streamed export and import, the one ``GET /assessments/{id}`` that serves two methods,
the statistics and the integrity checks (both of which can span every project) are hooks:
:mod:`evalledger.assessments.facade` and :mod:`evalledger.assessments.client`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema

from evalledger.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    BackupResult,
    SkillType,
    StudentDetail,
    StudentIn,
    StudentOut,
)
from evalledger.operations import (
    AnyId,
    Cursor,
    In,
    OperationGroup,
    PageLimit,
    as_model,
    as_uuid,
    get,
    post,
)
from evalledger.pagination import Page

if TYPE_CHECKING:
    from evalledger.assessments.service import AssessmentService

#: Longest date bound a list accepts (an ISO datetime with a zone is 32 characters).
MAX_DATE_TEXT = 64


def _date_bound(value: object) -> object:
    """A date or datetime as given, or text (parsed by the service, which names the field)."""
    if isinstance(value, date) or (isinstance(value, str) and len(value) <= MAX_DATE_TEXT):
        return value
    raise ValueError(f"expected a date, a datetime or ISO text of at most {MAX_DATE_TEXT} chars")


def _as_text(description: str) -> WithJsonSchema:
    """The bound's schema: over HTTP it is text (the query carries no date objects)."""
    text = {"type": "string", "maxLength": MAX_DATE_TEXT}
    return WithJsonSchema({"anyOf": [text, {"type": "null"}], "description": description})


_START = "YYYY-MM-DD or ISO datetime; inclusive (a date means its start)"
_END = "YYYY-MM-DD or ISO datetime; inclusive (a date means its end)"
#: A date-range bound: a date, a datetime or its text.
StartDate = Annotated[
    str | date | datetime | None,
    PlainValidator(_date_bound),
    _as_text(_START),
    Field(description=_START),
]
EndDate = Annotated[
    str | date | datetime | None,
    PlainValidator(_date_bound),
    _as_text(_END),
    Field(description=_END),
]


def _client_chosen_id(name: str) -> Any:
    """A create is safe to repeat when its body carries its own ``id`` (recorded once)."""

    def carries_id(arguments: Mapping[str, Any]) -> bool:
        return getattr(arguments[name], "id", None) is not None

    return carries_id


class AssessmentsOperations(
    OperationGroup,
    prefix="/api/v1",
    tag="assessments",
    service="evalledger.assessments.service:AssessmentService",
):
    @post("/students", summary="Create a student", status=201, retry_safe=_client_chosen_id("data"))
    async def create_student(svc: AssessmentService, data: In[StudentIn]) -> StudentOut:
        """Create a student; with an ``id`` a retry returns the stored student."""
        return await svc.create_student(as_model(StudentIn, data))

    @get("/students", summary="List students")
    async def list_students(
        svc: AssessmentService, *, limit: PageLimit = None, cursor: Cursor = None
    ) -> Page[StudentOut]:
        """Students, one keyset page at a time."""
        return await svc.list_students(limit=limit, cursor=cursor)

    @get("/students/{student_id}", summary="One student with assessment counts per skill")
    async def get_student(svc: AssessmentService, student_id: AnyId) -> StudentDetail:
        """The student with this id and how many assessments of each skill they have."""
        return await svc.get_student(as_uuid(student_id))

    # Before /assessments/{student_id}, so that "backup" is never taken for an id.
    @post(
        "/assessments/backup",
        summary="Write a backup file of this project's assessments into the exports folder",
        scope="write",  # it writes a file, though no row: a read unit of work
        writes=False,
        responses={507: {"description": "The server could not write the file (disk, permissions)"}},
    )
    async def backup_assessments(svc: AssessmentService) -> BackupResult:
        """Export everything of this project into the server's exports folder.

        The file gets a name no other backup has (time, project, random part) and appears
        only once it is whole; it never replaces an existing file.
        """
        return await svc.backup()

    @post(
        "/assessments/{student_id}",
        summary="Record an assessment with its evidence",
        status=201,
        status_of=lambda out: 200 if out.cached else 201,
        retry_safe=_client_chosen_id("data"),
    )
    async def create_assessment(
        svc: AssessmentService,
        student_id: AnyId,
        data: In[AssessmentIn],
        *,
        use_cached: bool = False,
    ) -> AssessmentOut:
        """Send an `id` to make retries safe: the same id is recorded once. With
        `use_cached=true` the newest assessment of that skill within the cache window
        (`EVALLEDGER_ASSESSMENT_CACHE_DAYS`, default 7) is returned (200) instead of writing."""
        return await svc.create_assessment(
            as_uuid(student_id), as_model(AssessmentIn, data), use_cached=use_cached
        )

    @get("/assessments", summary="List assessments")
    async def list_assessments(
        svc: AssessmentService,
        *,
        student_id: AnyId | None = None,
        skill_type: SkillType | None = None,
        start_date: StartDate = None,
        end_date: EndDate = None,
        limit: PageLimit = None,
        cursor: Cursor = None,
    ) -> Page[AssessmentOut]:
        """Assessments with their evidence, newest first, filtered by student, skill and an
        inclusive date range."""
        return await svc.list_assessments(
            student_id=as_uuid(student_id) if student_id is not None else None,
            skill_type=skill_type,
            start_date=start_date,
            end_date=end_date,
            limit=limit,
            cursor=cursor,
        )
