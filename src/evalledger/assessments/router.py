"""REST of seed 003 under ``/api/v1``: the routes of the declared operations
(:mod:`evalledger.assessments.operations`) and the hooks' hand-written routes.

The hooks come first, so that ``/assessments/export``, ``/assessments/import`` and
``/assessments/stats`` are matched before the declared ``/assessments/{student_id}``
(``backup`` is declared before it) and never taken for ids.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from evalledger.assessments.importer import Backup
from evalledger.assessments.operations import AssessmentsOperations
from evalledger.assessments.schemas import (
    AssessmentOut,
    BackupDocument,
    CachedAssessments,
    DuplicatePolicy,
    ExportDocument,
    ImportResult,
    IntegrityReport,
    SkillType,
    Statistics,
)
from evalledger.errors import ValidationFailed
from evalledger.operations.deps import Admin, Reader, Writer
from evalledger.operations.routes import router_for

StartDate = Annotated[
    str | None,
    Query(
        max_length=64,
        description="YYYY-MM-DD or ISO datetime; inclusive (a date means its start)",
    ),
]
EndDate = Annotated[
    str | None,
    Query(
        max_length=64,
        description="YYYY-MM-DD or ISO datetime; inclusive (a date means its end)",
    ),
]

hooks = APIRouter(prefix="/api/v1", tags=["assessments"])


# Hook: the Ledger's stats can span every project; this route is the project's own.
@hooks.get("/assessments/stats", response_model=Statistics, summary="Assessment statistics")
async def stats(ledger: Reader) -> Statistics:
    return await ledger.stats()


# Hook: a file download with the totals in response headers.
@hooks.get(
    "/assessments/export",
    response_model=None,
    summary="Download this project's assessments as a MASS backup document",
    description=(
        "The same document `evalledger assessments export` writes, with the same filters. "
        "It is written to a temporary file on the server and then streamed, so neither side "
        "holds it in memory; the totals are also in the `X-Total-Assessments` and "
        "`X-Total-Students` headers."
    ),
    responses={200: {"model": ExportDocument, "description": "The backup document"}},
)
async def export(
    ledger: Reader,
    student_id: uuid.UUID | None = None,
    skill_type: SkillType | None = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> FileResponse:
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="evalledger-export-"))
    try:
        result = await ledger.export_assessments(
            folder / "export.json",
            student_id=student_id,
            skill_type=skill_type,
            start_date=start_date,
            end_date=end_date,
        )
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, folder, True)
        raise
    stamp = result.export_timestamp[:19].replace("-", "").replace(":", "").replace("T", "_")
    return FileResponse(
        result.output,
        media_type="application/json",
        filename=f"assessments_export_{stamp}.json",
        headers={
            "X-Total-Assessments": str(result.total_assessments),
            "X-Total-Students": str(result.total_students),
            "X-Export-Timestamp": result.export_timestamp,
        },
        background=BackgroundTask(shutil.rmtree, folder, True),
    )


# Hook: the body is a whole backup document, imported batch by batch.
@hooks.post(
    "/assessments/import",
    response_model=ImportResult,
    summary="Import a MASS backup document (at most 10,000 assessments per request)",
    description=(
        "Students first, then assessments, in batches of 100, each batch one transaction: a "
        "bad or conflicting record fails its batch (the message names the record) and the "
        "batches before it stay written, so re-sending with `duplicates=skip` completes an "
        "interrupted import. `duplicates`: `error` (default) refuses a record whose id is "
        "stored (409), `skip` leaves it, `update` overwrites it and its evidence."
    ),
)
async def import_document(
    body: BackupDocument, ledger: Writer, duplicates: DuplicatePolicy = "error"
) -> ImportResult:
    backup = Backup(
        assessments=body.assessments,
        students=body.students,
        export_timestamp=body.export_timestamp,
        source="request body",
    )
    return await ledger.import_assessments(backup, duplicates=duplicates)


# Hook: one route for two methods (get_assessment, get_cached_assessments).
@hooks.get(
    "/assessments/{assessment_id}",
    response_model=AssessmentOut | CachedAssessments,
    summary="One assessment, or a student's cached assessments (use_cached=true)",
    description=(
        "Without query parameters: the assessment with that id. With `use_cached=true` (the "
        "MASS read) the id is a **student** id and the answer is each skill's newest "
        "assessment created within the cache window (`EVALLEDGER_ASSESSMENT_CACHE_DAYS`, "
        "default 7 days), with its evidence; `skill_type` narrows it to one skill. "
        "evalledger does not run assessments itself, so `use_cached=false` is refused: "
        "record a new one with `POST /api/v1/assessments/{student_id}`."
    ),
)
async def get_assessment(
    assessment_id: uuid.UUID,
    ledger: Reader,
    use_cached: bool | None = Query(None, description="true: the id is a student id"),
    skill_type: SkillType | None = Query(None, description="with use_cached: one skill"),
) -> AssessmentOut | CachedAssessments:
    if use_cached is None and skill_type is None:
        return await ledger.get_assessment(assessment_id)
    if not use_cached:
        raise ValidationFailed(
            "use_cached=true is the only form of this read (skill_type needs it too); "
            "new assessments are recorded with POST /api/v1/assessments/{student_id}",
            field="use_cached",
        )
    return await ledger.get_cached_assessments(assessment_id, skill_type=skill_type)


# Hook: verify's read mode (its report is a dataclass, answered as IntegrityReport).
@hooks.get(
    "/integrity",
    response_model=IntegrityReport,
    summary="Run the integrity checks over this project's data",
    description=(
        "The checks and report of `evalledger verify --json`, over the key's project only "
        "(the CLI checks every project). `healthy` is false when an issue is found; the "
        "answer is 200 either way."
    ),
)
async def integrity(ledger: Reader) -> IntegrityReport:
    report = await ledger.verify()
    return IntegrityReport.model_validate(report.as_dict())


# Hook: verify's fixing mode, for admin keys.
@hooks.post(
    "/integrity/fix-orphans",
    response_model=IntegrityReport,
    summary="Run the integrity checks and delete this project's orphaned evidence (admin keys)",
    description=(
        "`evalledger verify --fix-orphans` for the key's project: only orphaned evidence is "
        "changed (and the deletion is written to the audit log). Running it again changes "
        "nothing."
    ),
)
async def fix_orphans(ledger: Admin) -> IntegrityReport:
    report = await ledger.verify(fix_orphans=True)
    return IntegrityReport.model_validate(report.as_dict())


router = APIRouter()
router.include_router(hooks)
router.include_router(router_for(AssessmentsOperations))
