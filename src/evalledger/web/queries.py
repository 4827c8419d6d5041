"""The dashboard's own read queries: aggregates the domain facades do not offer.

Each is one SQL statement (GROUP BY / ORDER BY ... LIMIT) in a read unit of work scoped to
the caller's project; nothing loads a table into Python. Everything else the pages show comes
from the facades.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.assessments.models import SkillAssessment, Student
from evalledger.db.dialect import day_text

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


@dataclass(frozen=True)
class RecentResult:
    agent_type: str
    passed: bool
    score: float
    test_category: str
    test_difficulty: str
    tested_at: datetime | None
    created_at: datetime


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


async def agent_daily(ledger: Ledger, agent_type: str) -> list[DayPoint]:
    """Per UTC day of the agent's current epoch: results, passes, mean score, XP awarded."""
    t = CustodyTestResult
    async with ledger._read() as uow:
        epoch = (
            select(AgentMetrics.epoch)
            .where(AgentMetrics.project_id == uow.project_id)
            .where(AgentMetrics.agent_type == agent_type)
            .scalar_subquery()
        )
        day = day_text(uow.dialect, func.coalesce(t.tested_at, t.created_at)).label("day")
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


async def recent_results(ledger: Ledger, limit: int = 10) -> list[RecentResult]:
    t = CustodyTestResult
    async with ledger._read() as uow:
        stmt = (
            select(
                t.ai_type,
                t.passed,
                t.score,
                t.test_category,
                t.test_difficulty,
                t.tested_at,
                t.created_at,
            )
            .where(t.project_id == uow.project_id)
            .order_by(t.created_at.desc(), t.id.desc())
            .limit(limit)
        )
        rows = (await uow.session.execute(stmt)).all()
    return [
        RecentResult(
            agent_type=r.ai_type,
            passed=bool(r.passed),
            score=float(r.score),
            test_category=r.test_category,
            test_difficulty=r.test_difficulty,
            tested_at=r.tested_at,
            created_at=r.created_at,
        )
        for r in rows
    ]


async def skill_histograms(ledger: Ledger) -> list[SkillHistogram]:
    """Per skill: number of assessments, mean score and the count in each score bucket."""
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
