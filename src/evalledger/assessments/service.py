"""The assessments service: students and assessments, each operation one transaction.

Functions take an open :class:`UnitOfWork` and never commit. An assessment and its evidence
are written together (the assessment row, then its evidence with one executemany) and audited
in the same transaction, so a failure leaves neither behind.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import func, select

from evalledger.assessments.models import SkillAssessment, Student
from evalledger.assessments.repository import (
    AssessmentRepository,
    EvidenceRepository,
    StudentRepository,
    assessments_t,
    evidence_t,
    students_t,
)
from evalledger.assessments.schemas import (
    AssessmentIn,
    AssessmentOut,
    BackupResult,
    CachedAssessments,
    SkillType,
    Statistics,
    StudentDetail,
    StudentIn,
    StudentOut,
)
from evalledger.config import Settings
from evalledger.db.repository import Page, Range
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.uow import UnitOfWork


def parse_bound(value: str | date | datetime | None, *, end: bool, field: str) -> datetime | None:
    """A date-range bound: ``2024-01-01`` means the whole day (start of it, or end of it when
    ``end``); a datetime is taken as given (naive means UTC). Both ends are inclusive."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed: date | datetime = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            raise ValidationFailed(
                f"{field} must be a date (YYYY-MM-DD) or an ISO datetime, not {value!r}",
                field=field,
            ) from None
        value = parsed
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    start = datetime.combine(value, time.min, tzinfo=UTC)
    return start + timedelta(days=1) - timedelta(microseconds=1) if end else start


def student_out(row: Student) -> StudentOut:
    return StudentOut(
        id=row.id,
        name=row.name,
        external_id=row.external_id,
        metadata=row.metadata_ or {},
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def assessment_out(row: SkillAssessment, *, cached: bool = False) -> AssessmentOut:
    out = AssessmentOut.model_validate(row, from_attributes=True)
    out.cached = cached
    return out


class AssessmentService:
    def __init__(self, uow: UnitOfWork, settings: Settings) -> None:
        self.uow = uow
        self.settings = settings
        self.students = StudentRepository(uow)
        self.assessments = AssessmentRepository(uow)
        self.evidence = EvidenceRepository(uow)

    def _limit(self, limit: int | None) -> int:
        if limit is None:
            return self.settings.default_page_size
        if not 1 <= limit <= self.settings.max_page_size:
            raise ValidationFailed(
                f"limit must be between 1 and {self.settings.max_page_size}", field="limit"
            )
        return limit

    # -- students ----------------------------------------------------------------------

    async def create_student(self, data: StudentIn) -> StudentOut:
        if data.id is not None:
            existing = await self.students.find(data.id)
            if existing is not None:
                return student_out(existing)
        if data.external_id is not None and await self.students.find_by(
            external_id=data.external_id
        ):
            raise ConflictError(
                f"a student with external_id {data.external_id!r} already exists",
                field="external_id",
            )
        row = await self.students.add(
            id=data.id or uuid.uuid4(),
            name=data.name,
            external_id=data.external_id,
            metadata_=data.metadata,
        )
        self.uow.audit(
            "student", row.id, "create", {"name": data.name, "external_id": data.external_id}
        )
        return student_out(row)

    async def list_students(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[StudentOut]:
        rows, next_cursor = await self.students.list(limit=self._limit(limit), cursor=cursor)
        return Page[StudentOut](items=[student_out(r) for r in rows], next_cursor=next_cursor)

    async def get_student(self, student_id: uuid.UUID) -> StudentDetail:
        row = await self.students.get(student_id)
        counts = await self.students.counts_by_skill(student_id)
        return StudentDetail(
            **student_out(row).model_dump(),
            total_assessments=sum(counts.values()),
            assessment_counts=counts,
        )

    # -- assessments -------------------------------------------------------------------

    async def create_assessment(
        self, student_id: uuid.UUID, data: AssessmentIn, *, use_cached: bool = False
    ) -> AssessmentOut:
        await self.students.get(student_id)  # 404 for an unknown student
        if data.id is not None and await self.assessments.owners([data.id]):
            return await self._replay(data.id, student_id)
        if use_cached:
            since = utcnow() - timedelta(days=self.settings.assessment_cache_days)
            cached = await self.assessments.newest(student_id, data.skill_type, since)
            if cached is not None:
                return assessment_out(cached, cached=True)
        now = utcnow()
        assessment_id = data.id or uuid.uuid4()
        inserted = await self.assessments.insert_new(
            {
                "id": assessment_id,
                "project_id": self.uow.project_id,
                "student_id": student_id,
                "skill_type": data.skill_type,
                "score": data.score,
                "confidence": data.confidence,
                "reasoning": data.reasoning,
                "recommendations": data.recommendations,
                "feature_importance": data.feature_importance,
                "created_at": now,
                "updated_at": now,
            }
        )
        if not inserted:  # the same id was created concurrently: replay it
            return await self._replay(assessment_id, student_id)
        # Ids in ascending order keep the evidence in the order it was given, since evidence
        # is read ordered by (created_at, id) and shares the assessment's timestamps.
        ids = sorted(uuid.uuid4() for _ in data.evidence)
        await self.evidence.bulk_insert(
            {
                **item.model_dump(),
                "id": ids[i],
                "assessment_id": assessment_id,
                "created_at": now,
                "updated_at": now,
            }
            for i, item in enumerate(data.evidence)
        )
        self.uow.audit(
            "skill_assessment",
            assessment_id,
            "create",
            {
                "student_id": str(student_id),
                "skill_type": data.skill_type,
                "score": data.score,
                "confidence": data.confidence,
                "evidence": len(data.evidence),
            },
        )
        return assessment_out(await self.assessments.fresh(assessment_id))

    async def cached_assessments(
        self, student_id: uuid.UUID, skill_type: str | None = None
    ) -> CachedAssessments:
        """The MASS ``use_cached`` read: each skill's newest assessment inside the cache
        window (``assessment_cache_days``), with its evidence; 404 for an unknown student."""
        skills = get_args(SkillType)
        if skill_type is not None and skill_type not in skills:
            raise ValidationFailed(
                f"skill_type must be one of {', '.join(skills)}, not {skill_type[:50]!r}",
                field="skill_type",
            )
        await self.students.get(student_id)
        days = self.settings.assessment_cache_days
        since = utcnow() - timedelta(days=days)
        rows = await self.assessments.newest_per_skill(student_id, since, skill_type)
        return CachedAssessments(
            student_id=student_id,
            skill_type=skill_type,
            window_days=days,
            since=since,
            assessments=[assessment_out(r, cached=True) for r in rows],
        )

    async def _replay(self, assessment_id: uuid.UUID, student_id: uuid.UUID) -> AssessmentOut:
        """A create with a known id: the stored assessment, if it is this student's."""
        existing = await self.assessments.find(assessment_id)
        if existing is None or existing.student_id != student_id:
            raise ConflictError(
                f"assessment id {assessment_id} is already used by another record", field="id"
            )
        return assessment_out(existing)

    async def list_assessments(
        self,
        *,
        student_id: uuid.UUID | None = None,
        skill_type: str | None = None,
        start_date: str | date | datetime | None = None,
        end_date: str | date | datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[AssessmentOut]:
        low = parse_bound(start_date, end=False, field="start_date")
        high = parse_bound(end_date, end=True, field="end_date")
        rows, next_cursor = await self.assessments.list(
            {"student_id": student_id, "skill_type": skill_type},
            {"created_at": Range(low, high)},
            limit=self._limit(limit),
            cursor=cursor,
        )
        return Page[AssessmentOut](items=[assessment_out(r) for r in rows], next_cursor=next_cursor)

    async def get_assessment(self, assessment_id: uuid.UUID) -> AssessmentOut:
        return assessment_out(await self.assessments.get(assessment_id))

    async def stats(self) -> Statistics:
        return await statistics(self.uow, self.uow.project_id)

    async def backup(self) -> BackupResult:
        """Everything of this project, written into ``settings.exports_dir``."""
        from evalledger.assessments import export  # it imports this module

        return await export.backup_assessments(self.uow, Path(self.settings.exports_dir))


async def statistics(uow: UnitOfWork, project_id: uuid.UUID | None) -> Statistics:
    """Seed 003's statistics for one project, or for all projects when ``project_id`` is None."""

    def scoped(stmt: Any, table: Any) -> Any:
        return stmt if project_id is None else stmt.where(table.c.project_id == project_id)

    session = uow.session
    by_skill_stmt = scoped(
        select(assessments_t.c.skill_type, func.count()).group_by(assessments_t.c.skill_type),
        assessments_t,
    )
    by_skill = {s: int(n) for s, n in (await session.execute(by_skill_stmt)).all()}
    totals = (
        await session.execute(
            select(
                scoped(select(func.count()).select_from(evidence_t), evidence_t).scalar_subquery(),
                scoped(select(func.count()).select_from(students_t), students_t).scalar_subquery(),
                scoped(
                    select(func.count(func.distinct(assessments_t.c.student_id))),
                    assessments_t,
                ).scalar_subquery(),
                scoped(
                    select(func.count(evidence_t.c.id)).select_from(
                        assessments_t.join(
                            evidence_t, evidence_t.c.assessment_id == assessments_t.c.id
                        )
                    ),
                    assessments_t,
                ).scalar_subquery(),
            )
        )
    ).one()
    total_evidence, total_students, with_assessments, linked = (int(v) for v in totals)
    total = sum(by_skill.values())
    order = sorted(by_skill, key=lambda s: (-by_skill[s], s))
    return Statistics(
        total_assessments=total,
        by_skill={s: by_skill[s] for s in order},
        total_evidence=total_evidence,
        total_students=total_students,
        students_with_assessments=with_assessments,
        average_assessments_per_student=round(total / total_students, 2) if total_students else 0.0,
        average_evidence_per_assessment=round(linked / total, 2) if total else 0.0,
    )
