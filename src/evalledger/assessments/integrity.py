"""``evalledger verify``: seed 003's integrity checks plus ledger-wide ones.

Each check is a small async function taking a :class:`VerifyContext` and returning a
:class:`CheckResult`; :data:`CHECKS` lists them in report order. Every check is set-based SQL
(a few COUNT / EXISTS / GROUP BY queries); none loops over rows in Python. Offending ids are
sampled (``LIMIT``) for the verbose and JSON reports only.

Scope: the whole database, every project, for the operator (``evalledger verify``); or one
project (``Ledger.verify()``, ``GET /api/v1/integrity``), when every query is also filtered by
``project_id`` (:meth:`VerifyContext.mine`), so a tenant never sees another project's rows.

An *issue* is data that is wrong (out-of-range scores, orphans, impossible timestamps,
counters that disagree with their results, winners who did not take part); a *warning* is data
that is suspicious but legal (a student without assessments, an assessment with too few or too
many evidence records). ``Issues found`` counts failing lines (kinds of problem), not rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, delete, exists, func, or_, select, text, true

from evalledger.assessments.models import PRIMARY_SKILLS
from evalledger.assessments.repository import assessments_t, evidence_t, students_t
from evalledger.assessments.service import statistics
from evalledger.assessments.verify_report import CheckResult, VerifyReport
from evalledger.config import Settings
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.uow import UnitOfWork

#: Clock skew tolerated before a timestamp counts as "in the future".
FUTURE_TOLERANCE = timedelta(seconds=60)
#: Offending ids listed per problem in verbose and JSON reports.
SAMPLE = 20


@dataclass
class VerifyContext:
    uow: UnitOfWork
    settings: Settings
    now: datetime
    fix_orphans: bool = False
    project_id: uuid.UUID | None = None

    def mine(self, *tables: Table) -> Any:
        """Rows of the project being checked (every row when checking the whole database)."""
        if self.project_id is None:
            return true()
        return and_(*(t.c.project_id == self.project_id for t in tables))

    _census: EvidenceCensus | None = None

    async def evidence_census(self) -> EvidenceCensus:
        """The evidence counts of checks 3 and 4, from one pass over each table (computed
        once per run, see :func:`evidence_census`)."""
        if self._census is None:
            self._census = await evidence_census(self)
        return self._census

    async def scalar(self, stmt: Any) -> int:
        return int((await self.uow.session.execute(stmt)).scalar_one() or 0)

    async def ids(self, stmt: Any) -> list[Any]:
        return list((await self.uow.session.execute(stmt.limit(SAMPLE))).scalars())


Check = Callable[[VerifyContext], Awaitable[CheckResult]]


@dataclass(frozen=True)
class EvidenceCensus:
    """Counts of checks 3 and 4 (offending rows are sampled only when a count is not 0)."""

    orphans: int  #: evidence (in scope) whose assessment does not exist
    bare: int  #: assessments (in scope) without evidence
    unusual: int  #: assessments (in scope) with evidence, but outside evidence_min..max


async def evidence_census(ctx: VerifyContext) -> EvidenceCensus:
    """One pass over ``evidence`` (grouped by assessment: on PostgreSQL an index scan of
    ``ix_evidence_assessment_id``) full-joined to ``skill_assessments`` (its primary key).

    It replaces three separate queries (an anti-join each way and a grouped join), each of
    which read the whole evidence table; measured at 200,000 assessments with 920,004
    evidence rows on PostgreSQL, 0.36 s against 0.9 s for the three, and the anti-joins'
    hash tables spilled to disk (work_mem), which grows faster than the tables.
    """
    low, high = ctx.settings.evidence_min, ctx.settings.evidence_max
    a = assessments_t
    per = (
        select(
            evidence_t.c.assessment_id.label("assessment_id"),
            func.count().label("n"),
            func.count().filter(ctx.mine(evidence_t)).label("mine"),
        )
        .group_by(evidence_t.c.assessment_id)
        .subquery()
    )
    assessment = and_(a.c.id.is_not(None), ctx.mine(a))
    row = (
        await ctx.uow.session.execute(
            select(
                func.coalesce(func.sum(per.c.mine).filter(a.c.id.is_(None)), 0),
                func.count().filter(and_(assessment, per.c.assessment_id.is_(None))),
                func.count().filter(and_(assessment, or_(per.c.n < low, per.c.n > high))),
            ).select_from(per.outerjoin(a, a.c.id == per.c.assessment_id, full=True))
        )
    ).one()
    return EvidenceCensus(*(int(v or 0) for v in row))


# -- 1. score ranges ----------------------------------------------------------------------


def _out_of_unit(column: Any) -> Any:
    return or_(column.is_(None), column < 0, column > 1)


async def check_score_ranges(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(1, "score_ranges", "Checking score ranges...")
    columns = (
        (assessments_t.c.score, "scores"),
        (assessments_t.c.confidence, "confidence scores"),
    )
    # Both counts in one pass over the table.
    counts = (
        await ctx.uow.session.execute(
            select(*(func.count().filter(_out_of_unit(column)) for column, _ in columns))
            .select_from(assessments_t)
            .where(ctx.mine(assessments_t))
        )
    ).one()
    for (column, label), n in zip(columns, counts, strict=True):
        bad = and_(_out_of_unit(column), ctx.mine(assessments_t))
        if n:
            sample = await ctx.ids(select(assessments_t.c.id).where(bad))
            result.problem("issue", f"{n} assessments have {label} outside 0-1", n, sample)
        else:
            result.ok(f"All {label} are within valid range (0-1)")
    return result


# -- 2. student coverage ------------------------------------------------------------------


async def check_student_coverage(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(2, "student_coverage", "Checking student assessment coverage...")
    has_any = exists().where(assessments_t.c.student_id == students_t.c.id)
    none = and_(~has_any, ctx.mine(students_t))
    total = await ctx.scalar(
        select(func.count()).select_from(students_t).where(ctx.mine(students_t))
    )
    n = await ctx.scalar(select(func.count()).select_from(students_t).where(none))
    if n:
        sample = await ctx.ids(select(students_t.c.id).where(none))
        result.problem("warning", f"{n} of {total} students have no assessments", n, sample)
    else:
        result.ok(f"All {total} students have assessments")
    primary = (
        select(func.count(func.distinct(assessments_t.c.skill_type)))
        .where(
            assessments_t.c.student_id == students_t.c.id,
            assessments_t.c.skill_type.in_(PRIMARY_SKILLS),
        )
        .scalar_subquery()
    )
    missing = and_(has_any, primary < len(PRIMARY_SKILLS), ctx.mine(students_t))
    n = await ctx.scalar(select(func.count()).select_from(students_t).where(missing))
    if n:
        sample = await ctx.ids(select(students_t.c.id).where(missing))
        result.problem(
            "warning",
            f"{n} students are missing some of the {len(PRIMARY_SKILLS)} primary skill "
            f"assessments ({', '.join(PRIMARY_SKILLS)})",
            n,
            sample,
        )
    else:
        result.ok(f"All students have all {len(PRIMARY_SKILLS)} primary skill assessments")
    return result


# -- 3. orphaned evidence -----------------------------------------------------------------


async def check_orphaned_evidence(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(3, "orphaned_evidence", "Checking for orphaned evidence...")
    orphan = and_(
        ~exists().where(assessments_t.c.id == evidence_t.c.assessment_id), ctx.mine(evidence_t)
    )
    n = (await ctx.evidence_census()).orphans
    if not n:
        result.ok("No orphaned evidence records found")
        return result
    sample = await ctx.ids(select(evidence_t.c.id).where(orphan))
    if ctx.fix_orphans:
        deleted = (await ctx.uow.session.execute(delete(evidence_t).where(orphan))).rowcount  # type: ignore[attr-defined]
        ctx.uow.audit(
            "evidence",
            "*",
            "delete_orphans",
            {"deleted": deleted, "sample": [str(s) for s in sample]},
        )
        result.problem("fixed", f"Deleted {deleted} orphaned evidence records", deleted, sample)
    else:
        result.problem(
            "issue",
            f"Found {n} orphaned evidence records (fix with --fix-orphans)",
            n,
            sample,
        )
    return result


# -- 4. evidence linking ------------------------------------------------------------------


async def check_evidence_linking(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(4, "evidence_linking", "Checking evidence linking...")
    bare = and_(
        ~exists().where(evidence_t.c.assessment_id == assessments_t.c.id),
        ctx.mine(assessments_t),
    )
    census = await ctx.evidence_census()
    n = census.bare
    if n:
        sample = await ctx.ids(select(assessments_t.c.id).where(bare))
        result.problem("warning", f"{n} assessments have no evidence records", n, sample)
    else:
        result.ok("All assessments have evidence records")
    low, high = ctx.settings.evidence_min, ctx.settings.evidence_max
    per = (
        select(evidence_t.c.assessment_id.label("id"))
        .join(assessments_t, assessments_t.c.id == evidence_t.c.assessment_id)
        .where(ctx.mine(assessments_t))
        .group_by(evidence_t.c.assessment_id)
        .having(or_(func.count() < low, func.count() > high))
    )
    n = census.unusual
    if n:
        sample = await ctx.ids(per.with_only_columns(evidence_t.c.assessment_id))
        result.problem(
            "warning",
            f"{n} assessments have an unusual number of evidence records (outside {low}-{high})",
            n,
            sample,
        )
    else:
        result.ok("Evidence counts are reasonable for all assessments")
    return result


# -- 5. timestamps ------------------------------------------------------------------------

#: The assessment tables whose timestamps the MASS check covered ("no future timestamps").
_STAMPED = (students_t, assessments_t, evidence_t)


def stamped_tables() -> tuple[Table, ...]:
    """Every table with both ``created_at`` and ``updated_at`` (checked: updated >= created)."""
    return tuple(
        t
        for t in sorted(metadata.tables.values(), key=lambda t: t.name)
        if {"created_at", "updated_at"} <= set(t.c.keys())
    )


def _in_scope(ctx: VerifyContext, tables: tuple[Table, ...]) -> tuple[Table, ...]:
    """The tables a check covers: all of them for the whole database, else the project's."""
    if ctx.project_id is None:
        return tables
    return tuple(t for t in tables if "project_id" in t.c)


async def _per_table(
    ctx: VerifyContext, tables: tuple[Table, ...], condition: Callable[[Table], Any]
) -> dict[str, int]:
    counts = (
        await ctx.uow.session.execute(
            select(
                *(
                    select(func.count())
                    .select_from(t)
                    .where(condition(t), ctx.mine(t))
                    .scalar_subquery()
                    .label(t.name)
                    for t in tables
                )
            )
        )
    ).one()
    return {t.name: int(n) for t, n in zip(tables, counts, strict=True) if n}


async def _sample(
    ctx: VerifyContext, tables: tuple[Table, ...], condition: Callable[[Table], Any]
) -> list[str]:
    out: list[str] = []
    for t in tables:
        if len(out) >= SAMPLE:
            break
        key = t.c.id if "id" in t.c else next(iter(t.primary_key.columns))
        rows = await ctx.ids(select(key).where(condition(t), ctx.mine(t)))
        out += [f"{t.name}:{i}" for i in rows]
    return out[:SAMPLE]


async def check_timestamps(ctx: VerifyContext) -> CheckResult:
    """No future timestamps in the assessment tables; ``updated_at >= created_at`` in every
    table that has both."""
    result = CheckResult(5, "timestamps", "Checking timestamp consistency...")
    limit = ctx.now + FUTURE_TOLERANCE

    def future(t: Table) -> Any:
        return or_(t.c.created_at > limit, t.c.updated_at > limit)

    def backwards(t: Table) -> Any:
        return t.c.updated_at < t.c.created_at

    for tables, condition, ok, label in (
        (_STAMPED, future, "No future timestamps found", "have timestamps in the future"),
        (
            _in_scope(ctx, stamped_tables()),
            backwards,
            "All timestamps are consistent",
            "have updated_at before created_at",
        ),
    ):
        counts = await _per_table(ctx, tables, condition)
        if counts:
            n = sum(counts.values())
            where = ", ".join(f"{k}: {v}" for k, v in counts.items())
            sample = await _sample(ctx, tables, condition)
            result.problem("issue", f"{n} records {label} ({where})", n, sample)
        else:
            result.ok(ok)
    return result


# -- 7. agent counters --------------------------------------------------------------------


async def check_agent_counters(ctx: VerifyContext) -> CheckResult:
    """Each agent's test counters and ``custody_xp`` equal the sums of its results of the
    current epoch (``xp`` is not compared: competitions add to it too)."""
    result = CheckResult(7, "agent_counters", "Checking agent counters against their results...")
    agents = metadata.tables.get("agent_metrics")
    results = metadata.tables.get("custody_test_results")
    if agents is None or results is None:
        result.problem("skipped", "Skipped: agent tables are not installed", 0)
        return result
    sums = (
        select(
            results.c.project_id,
            results.c.ai_type,
            results.c.agent_epoch,
            func.count().label("given"),
            func.sum(case((results.c.passed, 1), else_=0)).label("passed"),
            func.sum(case((results.c.passed, 0), else_=1)).label("failed"),
            func.sum(results.c.xp_awarded).label("xp"),
        )
        .group_by(results.c.project_id, results.c.ai_type, results.c.agent_epoch)
        .subquery()
    )
    joined = agents.outerjoin(
        sums,
        and_(
            sums.c.project_id == agents.c.project_id,
            sums.c.ai_type == agents.c.agent_type,
            sums.c.agent_epoch == agents.c.epoch,
        ),
    )
    pairs = (
        ("total_tests_given", sums.c.given),
        ("total_tests_passed", sums.c.passed),
        ("total_tests_failed", sums.c.failed),
        ("custody_xp", sums.c.xp),
    )
    wrong = or_(*(agents.c[name] != func.coalesce(col, 0) for name, col in pairs))
    wrong = and_(wrong, ctx.mine(agents))
    total = await ctx.scalar(select(func.count()).select_from(agents).where(ctx.mine(agents)))
    n = await ctx.scalar(select(func.count()).select_from(joined).where(wrong))
    if not n:
        result.ok(f"All {total} agents' test counters equal the sum of their results")
        return result
    rows = (
        await ctx.uow.session.execute(
            select(
                agents.c.agent_type,
                *(agents.c[name] for name, _ in pairs),
                *(func.coalesce(col, 0).label(f"sum_{name}") for name, col in pairs),
            )
            .select_from(joined)
            .where(wrong)
            .order_by(agents.c.agent_type, agents.c.project_id)
            .limit(SAMPLE)
        )
    ).mappings()
    sample = []
    for row in rows:
        diffs = [
            f"{name} {row[name]} != {row[f'sum_{name}']}"
            for name, _ in pairs
            if row[name] != row[f"sum_{name}"]
        ]
        sample.append(f"{row['agent_type']}: {', '.join(diffs)}")
    result.problem("issue", f"{n} agents have counters that disagree with their results", n, sample)
    return result


# -- 8. event winners ---------------------------------------------------------------------


def _winner_not_participant(dialect: str, table: str, *, one_project: bool) -> str:
    """SQL selecting ids of events with a winner missing from ``participants`` (JSON lists).

    JSON array expansion is spelled differently per backend (``json_each`` on SQLite,
    ``jsonb_array_elements_text`` on PostgreSQL); the rest of the query is shared. With
    ``one_project`` the query takes a ``:project_id`` parameter.
    """
    if dialect == "postgresql":
        is_list = "jsonb_typeof(CAST({c} AS jsonb)) = 'array'"
        each = "jsonb_array_elements_text(CAST({c} AS jsonb)) AS {a}(value)"
    else:
        is_list = "json_type({c}) = 'array'"
        each = "json_each({c}) AS {a}"
    return (
        f"SELECT e.id FROM {table} AS e WHERE e.winners IS NOT NULL "
        + ("AND e.project_id = :project_id " if one_project else "")
        + f"AND {is_list.format(c='e.winners')} AND EXISTS ("
        f"SELECT 1 FROM {each.format(c='e.winners', a='w')} WHERE NOT EXISTS ("
        f"SELECT 1 FROM {each.format(c='e.participants', a='p')} "
        f"WHERE {is_list.format(c='e.participants')} AND p.value = w.value))"
    )


async def check_event_winners(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(8, "event_winners", "Checking olympic event winners...")
    events = metadata.tables.get("olympic_events")
    if events is None or not {"winners", "participants"} <= set(events.c.keys()):
        result.problem("skipped", "Skipped: olympic events are not installed", 0)
        return result
    query = text(
        _winner_not_participant(
            ctx.uow.dialect, events.name, one_project=ctx.project_id is not None
        )
    )
    if ctx.project_id is not None:
        query = query.bindparams(
            bindparam("project_id", ctx.project_id, type_=events.c.project_id.type)
        )
    bad = query.columns(events.c.id).subquery()
    total = await ctx.scalar(select(func.count()).select_from(events).where(ctx.mine(events)))
    n = await ctx.scalar(select(func.count()).select_from(bad))
    if n:
        sample = await ctx.ids(select(bad.c.id))
        result.problem("issue", f"{n} events have winners who are not participants", n, sample)
    else:
        result.ok(f"All winners of {total} events are participants")
    return result


async def check_runs(ctx: VerifyContext) -> CheckResult:
    """The runs domain's checks (:mod:`evalledger.runs.integrity`), imported when verify runs:
    that module builds on this one's :class:`CheckResult`, so a module-level import here
    would make the two packages import each other."""
    from evalledger.runs.integrity import check_runs as runs_checks

    return await runs_checks(ctx)


CHECKS: list[Check] = [
    check_score_ranges,
    check_student_coverage,
    check_orphaned_evidence,
    check_evidence_linking,
    check_timestamps,
    check_agent_counters,
    check_event_winners,
    check_runs,
]


async def verify(
    uow: UnitOfWork,
    settings: Settings,
    *,
    fix_orphans: bool = False,
    project_id: uuid.UUID | None = None,
) -> VerifyReport:
    """Run every check over one project, or the whole database when ``project_id`` is None."""
    now = utcnow()
    ctx = VerifyContext(
        uow=uow, settings=settings, now=now, fix_orphans=fix_orphans, project_id=project_id
    )
    stats = await statistics(uow, project_id)
    checks = [await check(ctx) for check in CHECKS]
    scope = "all projects" if project_id is None else f"project {project_id}"
    return VerifyReport(checked_at=now.isoformat(), statistics=stats, checks=checks, scope=scope)
