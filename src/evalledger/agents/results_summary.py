"""An agent's results grouped by a field: SQL aggregates, then the pure interval functions.

The database returns per group only the count, the passes, the sum and the sum of squares of
the scores and the first and last time; rates, means and intervals come from
:mod:`evalledger.stats.intervals`. Grouped by ``tag``, a result counts in the group of each of
its tags (and results without tags in the ``null`` group, as for the other fields).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import case, func, literal, select

from evalledger.agents.repository import results
from evalledger.agents.results_query import conditions
from evalledger.agents.results_schemas import Interval, ResultFilter, ResultGroup, ResultsSummary
from evalledger.db.dialect import json_array_items, json_array_length, json_text_field
from evalledger.stats.intervals import mean_interval, wilson_interval
from evalledger.uow import UnitOfWork


def group(key: str | None, row: Mapping[Any, Any]) -> ResultGroup:
    """One group's numbers from its aggregates (pure)."""
    count, passed = int(row["count"]), int(row["passed"])
    total, squares = float(row["total"]), float(row["squares"])
    low, high = wilson_interval(passed, count)
    spread = mean_interval(count, total, squares)
    return ResultGroup(
        key=key,
        count=count,
        passed=passed,
        pass_rate=passed / count,
        pass_rate_interval=Interval(low=low, high=high),
        mean_score=total / count,
        mean_score_interval=None
        if spread is None
        # Scores are 0 to 100: the normal approximation's tails beyond are cut off.
        else Interval(low=max(0.0, spread[0]), high=min(100.0, spread[1])),
        first_at=row["first_at"],
        last_at=row["last_at"],
    )


def _aggregates() -> list[Any]:
    """Per group: what :func:`group` needs, and nothing computed in SQL that Python can do."""
    c = results.c
    return [
        func.count().label("count"),
        func.sum(case((c.passed, 1), else_=0)).label("passed"),
        func.sum(c.score).label("total"),
        func.sum(c.score * c.score).label("squares"),
        func.min(c.created_at).label("first_at"),
        func.max(c.created_at).label("last_at"),
    ]


async def summarize(uow: UnitOfWork, where: ResultFilter, group_by: str) -> ResultsSummary:
    """The results matching ``where`` (one agent's) grouped by ``group_by``."""
    c = results.c
    froms: list[Any] = [results]
    if group_by == "tag":
        items = json_array_items(uow.dialect, c.tags)
        key = items.c.value
        froms.append(items)
    elif group_by == "agent_version":
        key = c.agent_version
    elif group_by == "category":
        key = c.test_category
    else:  # metadata.KEY (the pattern of GroupBy)
        key = json_text_field(uow.dialect, c.metadata, group_by.removeprefix("metadata."))
    stmt = (
        select(key.label("key"), *_aggregates())
        .select_from(*froms)
        .where(*conditions(uow.dialect, uow.project_id, where))
        .group_by(key)
    )
    rows: list[Mapping[Any, Any]] = list((await uow.session.execute(stmt)).mappings())
    if group_by == "tag":
        rows += await _untagged(uow, where)
    groups = [group(None if r["key"] is None else str(r["key"]), r) for r in rows]
    groups.sort(key=lambda g: (g.key is None, g.key or ""))
    return ResultsSummary(
        agent=where.agent or "",
        group_by=group_by,
        since=where.since,
        until=where.until,
        groups=groups,
    )


async def _untagged(uow: UnitOfWork, where: ResultFilter) -> list[Mapping[Any, Any]]:
    """The aggregates of the results without any tag (their ``null`` group)."""
    empty = json_array_length(uow.dialect, results.c.tags) == 0
    stmt = select(literal(None).label("key"), *_aggregates()).where(
        *conditions(uow.dialect, uow.project_id, where), empty
    )
    row = (await uow.session.execute(stmt)).mappings().one()
    return [row] if row["count"] else []
