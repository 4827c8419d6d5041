"""Queries of the assessments domain, on top of the generic :class:`Repository`.

Aggregates (counts per skill, statistics) run in the database with GROUP BY / COUNT; nothing
here loads rows into Python to count them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, func, select

from evalledger.assessments.models import Evidence, SkillAssessment, Student
from evalledger.db.dialect import insert
from evalledger.db.repository import Repository, id_owners

students_t: Table = Student.__table__  # type: ignore[assignment]
assessments_t: Table = SkillAssessment.__table__  # type: ignore[assignment]
evidence_t: Table = Evidence.__table__  # type: ignore[assignment]


class StudentRepository(Repository[Student]):
    model = Student

    async def counts_by_skill(self, student_id: uuid.UUID) -> dict[str, int]:
        stmt = (
            select(assessments_t.c.skill_type, func.count())
            .where(
                assessments_t.c.project_id == self.uow.project_id,
                assessments_t.c.student_id == student_id,
            )
            .group_by(assessments_t.c.skill_type)
        )
        return {skill: int(n) for skill, n in (await self.session.execute(stmt)).all()}

    async def existing_ids(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``ids`` are students of this project."""
        wanted = list(set(ids))
        if not wanted:
            return set()
        stmt = select(students_t.c.id).where(
            students_t.c.project_id == self.uow.project_id, students_t.c.id.in_(wanted)
        )
        return set((await self.session.execute(stmt)).scalars())


class AssessmentRepository(Repository[SkillAssessment]):
    model = SkillAssessment
    eager = ("evidence",)

    async def fresh(self, row_id: uuid.UUID) -> SkillAssessment:
        """The assessment re-read with its evidence (after Core inserts in this transaction)."""
        stmt = (
            self.select()
            .where(assessments_t.c.id == row_id)
            .execution_options(populate_existing=True)
        )
        row: SkillAssessment = (await self.session.execute(stmt)).scalar_one()
        return row

    async def newest(
        self, student_id: uuid.UUID, skill_type: str, since: datetime
    ) -> SkillAssessment | None:
        """The newest assessment of one skill of one student created at or after ``since``."""
        stmt = (
            self.select()
            .where(
                assessments_t.c.student_id == student_id,
                assessments_t.c.skill_type == skill_type,
                assessments_t.c.created_at >= since,
            )
            .order_by(assessments_t.c.created_at.desc(), assessments_t.c.id.desc())
            .limit(1)
        )
        row: SkillAssessment | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return row

    async def newest_per_skill(
        self, student_id: uuid.UUID, since: datetime, skill_type: str | None = None
    ) -> Sequence[SkillAssessment]:
        """Each skill's newest assessment of one student created at or after ``since`` (one
        query: a window function ranks each skill's rows), with evidence, by skill name."""
        ranked = select(
            assessments_t.c.id,
            func.row_number()
            .over(
                partition_by=assessments_t.c.skill_type,
                order_by=(assessments_t.c.created_at.desc(), assessments_t.c.id.desc()),
            )
            .label("rank"),
        ).where(
            assessments_t.c.project_id == self.uow.project_id,
            assessments_t.c.student_id == student_id,
            assessments_t.c.created_at >= since,
        )
        if skill_type is not None:
            ranked = ranked.where(assessments_t.c.skill_type == skill_type)
        newest = ranked.subquery()
        stmt = (
            self.select()
            .join(newest, newest.c.id == assessments_t.c.id)
            .where(newest.c.rank == 1)
            .order_by(assessments_t.c.skill_type)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def insert_new(self, values: dict[str, Any]) -> bool:
        """Insert one assessment row unless its id exists (in any project); True if inserted.

        ``ON CONFLICT DO NOTHING``: a concurrent insert of the same id waits for the first
        transaction and then does nothing, so a retried create can replay the stored row.
        """
        stmt = (
            insert(self.uow.dialect, assessments_t)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(assessments_t.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def owners(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """``{assessment id: project id}`` for those of ``ids`` that exist (in any project)."""
        return await id_owners(self.uow, assessments_t, ids)


class EvidenceRepository(Repository[Evidence]):
    model = Evidence


def filtered_assessments(
    project_id: uuid.UUID | None,
    *,
    student_id: uuid.UUID | None = None,
    skill_type: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Select[Any]:
    """``SELECT skill_assessments.*`` with the export filters (both ends inclusive)."""
    stmt = select(assessments_t)
    if project_id is not None:
        stmt = stmt.where(assessments_t.c.project_id == project_id)
    if student_id is not None:
        stmt = stmt.where(assessments_t.c.student_id == student_id)
    if skill_type is not None:
        stmt = stmt.where(assessments_t.c.skill_type == skill_type)
    if start is not None:
        stmt = stmt.where(assessments_t.c.created_at >= start)
    if end is not None:
        stmt = stmt.where(assessments_t.c.created_at <= end)
    return stmt
