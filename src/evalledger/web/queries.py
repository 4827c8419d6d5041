"""The dashboard's own read queries: aggregates the domain facades do not offer.

Each is one SQL statement (GROUP BY / ORDER BY ... LIMIT) in a read unit of work scoped to
the caller's project; nothing loads a table into Python. Everything else the pages show comes
from the facades.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, case, func, or_, select

from evalledger.agents import results_query
from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.agents.repository import AgentRepository, results
from evalledger.agents.results_schemas import ResultFilter, ResultSort, SortOrder
from evalledger.agents.schemas import CustodyTestOut
from evalledger.assessments.models import SkillAssessment, Student
from evalledger.db.dialect import day_text
from evalledger.db.repository import decode_keyed_cursor, encode_cursor, past_key
from evalledger.pagination import Page

if TYPE_CHECKING:
    from evalledger.sdk.ledger import Ledger

#: Score buckets of the assessment distributions (scores are 0..1): label, lower bound.
BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-0.2", 0.0),
    ("0.2-0.4", 0.2),
    ("0.4-0.6", 0.4),
    ("0.6-0.8", 0.6),
    ("0.8-1", 0.8),
)


@dataclass(frozen=True)
class DayPoint:
    day: str
    results: int
    passed: int
    avg_score: float
    xp: int

    @property
    def at(self) -> datetime:
        """The day's start (UTC), where the day sits on a time axis."""
        return datetime.strptime(self.day, "%Y-%m-%d").replace(tzinfo=UTC)


@dataclass(frozen=True)
class SkillRow:
    student_id: uuid.UUID
    student: str
    skill_type: str
    count: int
    avg: float
    min: float
    max: float


@dataclass(frozen=True)
class SkillHistogram:
    skill_type: str
    count: int
    avg: float
    buckets: list[int]


async def agent_daily(
    ledger: Ledger,
    agent_type: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[DayPoint]:
    """Per UTC day of the agent's current epoch: results, passes, mean score, XP awarded,
    of the results tested in ``[since, until)`` (a day at a range's edge counts only the
    results inside it)."""
    t = CustodyTestResult
    async with ledger._read() as uow:
        epoch = (
            select(AgentMetrics.epoch)
            .where(AgentMetrics.project_id == uow.project_id)
            .where(AgentMetrics.agent_type == agent_type)
            .scalar_subquery()
        )
        tested = func.coalesce(t.tested_at, t.created_at)
        day = day_text(uow.dialect, tested).label("day")
        stmt = (
            select(
                day,
                func.count().label("results"),
                func.sum(case((t.passed, 1), else_=0)).label("passed"),
                func.avg(t.score).label("avg_score"),
                func.sum(t.xp_awarded).label("xp"),
            )
            .where(t.project_id == uow.project_id, t.ai_type == agent_type)
            .where(t.agent_epoch == epoch)
            .group_by(day)
            .order_by(day)
        )
        if since is not None:
            stmt = stmt.where(tested >= since)
        if until is not None:
            stmt = stmt.where(tested < until)
        rows = (await uow.session.execute(stmt)).all()
    return [
        DayPoint(
            day=str(r.day),
            results=int(r.results),
            passed=int(r.passed or 0),
            avg_score=float(r.avg_score or 0.0),
            xp=int(r.xp or 0),
        )
        for r in rows
    ]


async def skill_histograms(
    ledger: Ledger, since: datetime | None = None, until: datetime | None = None
) -> list[SkillHistogram]:
    """Per skill: number of assessments, mean score and the count in each score bucket,
    of the assessments made in ``[since, until)``."""
    a = SkillAssessment
    bucket_cols = []
    for i, (_, low) in enumerate(BUCKETS):
        high = BUCKETS[i + 1][1] if i + 1 < len(BUCKETS) else None
        cond = a.score >= low if high is None else (a.score >= low) & (a.score < high)
        bucket_cols.append(func.sum(case((cond, 1), else_=0)).label(f"b{i}"))
    async with ledger._read() as uow:
        stmt = (
            select(
                a.skill_type,
                func.count().label("n"),
                func.avg(a.score).label("avg"),
                *bucket_cols,
            )
            .where(a.project_id == uow.project_id)
            .group_by(a.skill_type)
            .order_by(a.skill_type)
        )
        if since is not None:
            stmt = stmt.where(a.created_at >= since)
        if until is not None:
            stmt = stmt.where(a.created_at < until)
        rows = (await uow.session.execute(stmt)).all()
    return [
        SkillHistogram(
            skill_type=r.skill_type,
            count=int(r.n),
            avg=float(r.avg or 0.0),
            buckets=[int(getattr(r, f"b{i}") or 0) for i in range(len(BUCKETS))],
        )
        for r in rows
    ]


async def skills_per_student(
    ledger: Ledger, student_ids: list[uuid.UUID] | None = None
) -> list[SkillRow]:
    """Per student and skill: count, mean, min and max score (for the given students)."""
    a, s = SkillAssessment, Student
    async with ledger._read() as uow:
        stmt = (
            select(
                a.student_id,
                s.name,
                a.skill_type,
                func.count().label("n"),
                func.avg(a.score).label("avg"),
                func.min(a.score).label("min"),
                func.max(a.score).label("max"),
            )
            .join(s, s.id == a.student_id)
            .where(a.project_id == uow.project_id)
            .group_by(a.student_id, s.name, a.skill_type)
            .order_by(s.name, a.student_id, a.skill_type)
        )
        if student_ids is not None:
            stmt = stmt.where(a.student_id.in_(student_ids))
        rows = (await uow.session.execute(stmt)).all()
    return [
        SkillRow(
            student_id=r.student_id,
            student=r.name,
            skill_type=r.skill_type,
            count=int(r.n),
            avg=float(r.avg),
            min=float(r.min),
            max=float(r.max),
        )
        for r in rows
    ]


async def result_by_id(ledger: Ledger, result_id: uuid.UUID) -> CustodyTestOut | None:
    """One of the project's results, as the results query shows it (``None``: no such)."""
    async with ledger._read() as uow:
        row = await AgentRepository(uow).get_result(result_id)
        # The repository looks the id up in every project: another project's is "no such".
        if row is None or row["project_id"] != uow.project_id:
            return None
    return results_query.result_out(row)


def _search(text: str) -> ColumnElement[bool]:
    """Results whose test id, scenario, category, agent, version or response contain ``text``
    (case-insensitive; ``%`` and ``_`` match themselves)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped.lower()}%"
    c = results.c
    columns = (c.test_id, c.scenario, c.test_category, c.ai_type, c.agent_version, c.ai_response)
    return or_(*(func.lower(col).like(pattern, escape="\\") for col in columns))


async def search_results(
    ledger: Ledger,
    where: ResultFilter,
    text: str,
    *,
    sort: ResultSort,
    order: SortOrder,
    limit: int,
    cursor: str | None,
) -> Page[CustodyTestOut]:
    """The results query's page (same filters, order and cursors) narrowed by a text search.

    The REST query has no free-text filter, so the dashboard's search box is this one extra
    condition on top of :func:`evalledger.agents.results_query.conditions`.
    """
    c = results.c
    async with ledger._read() as uow:
        stmt = select(results).where(
            *results_query.conditions(uow.dialect, uow.project_id, where), _search(text)
        )
        if cursor is not None:
            lead, at, after_id = decode_keyed_cursor(cursor, 1 if sort == "score" else 0)
            pairs = [(c.score, lead[0])] if sort == "score" else []
            stmt = stmt.where(
                past_key(c.created_at, c.id, at, after_id, descending=order == "desc", lead=pairs)
            )
        stmt = results_query._ordered(stmt, sort, order).limit(limit + 1)
        rows = list((await uow.session.execute(stmt)).mappings())
    more = len(rows) > limit
    items = [results_query.result_out(r) for r in rows[:limit]]
    return Page[CustodyTestOut](
        items=items, next_cursor=cursor_at(items[-1], sort) if more and items else None
    )


def cursor_at(result: CustodyTestOut, sort: ResultSort) -> str:
    """The results query's cursor positioned at ``result`` (the next page starts after it)."""
    lead = (result.score,) if sort == "score" else ()
    return encode_cursor(result.created_at, result.id, *lead)
