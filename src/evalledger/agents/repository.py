"""Queries of the agent-metrics domain. Every query is scoped to the unit of work's project.

Hot paths use Core statements on the mapped tables (no ORM identity-map churn); aggregates run
in the database, never by loading rows into Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, case, func, select, update

from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.db.dialect import insert
from evalledger.db.types import utcnow
from evalledger.errors import NotFoundError
from evalledger.uow import UnitOfWork

agents: Table = AgentMetrics.__table__  # type: ignore[assignment]
results: Table = CustodyTestResult.__table__  # type: ignore[assignment]


def agent_not_found(agent_type: str, *, field: str) -> NotFoundError:
    """Recording never creates an agent (a typo would start a new one): say how to create it.

    The same words from the SDK, the REST API and the CLI (README, "Concepts": Agent).
    """
    return NotFoundError(
        f"agent {agent_type!r} not found: create it first with "
        f"create_or_update_agent_metrics({agent_type!r}), "
        f"PUT /api/agent-metrics/{agent_type} or `evalledger agents create {agent_type}`",
        field=field,
    )


class AgentRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    def _scoped(self) -> Any:
        return agents.c.project_id == self.uow.project_id

    async def find(self, agent_type: str) -> RowMapping | None:
        stmt = select(agents).where(self._scoped(), agents.c.agent_type == agent_type)
        row = (await self.session.execute(stmt)).mappings().one_or_none()
        return row

    async def get(self, agent_type: str, *, lock: bool = False) -> RowMapping:
        """The agent's row; ``lock=True`` holds its row lock to the end of the transaction.

        On SQLite the whole write transaction already holds the database's write lock
        (``BEGIN IMMEDIATE``), so ``FOR UPDATE`` is neither needed nor emitted there.
        """
        stmt = select(agents).where(self._scoped(), agents.c.agent_type == agent_type)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().one_or_none()
        if row is None:
            raise agent_not_found(agent_type, field="agent_type")
        return row

    async def lock_many(self, agent_types: Sequence[str]) -> dict[str, RowMapping]:
        """Lock several agents in one fixed (sorted) order, so concurrent writers never deadlock.

        Raises :class:`NotFoundError` naming the first agent that does not exist.
        """
        wanted = sorted(set(agent_types))
        stmt = (
            select(agents)
            .where(self._scoped(), agents.c.agent_type.in_(wanted))
            .order_by(agents.c.agent_type)
            .with_for_update()
        )
        rows = {r["agent_type"]: r for r in (await self.session.execute(stmt)).mappings()}
        for agent_type in wanted:
            if agent_type not in rows:
                raise agent_not_found(agent_type, field=agent_type)
        return rows

    async def list_all(self) -> Sequence[RowMapping]:
        stmt = select(agents).where(self._scoped()).order_by(agents.c.agent_type)
        return list((await self.session.execute(stmt)).mappings())

    async def create(self, agent_type: str, values: Mapping[str, Any]) -> bool:
        """Insert the agent unless it exists; True when this call created it (race-safe)."""
        now = utcnow()
        row = {
            "id": uuid.uuid4(),
            "project_id": self.uow.project_id,
            "agent_type": agent_type,
            "agent_id": values.get("agent_id") or agent_type,
            "learning_patterns": [],
            "improvement_suggestions": [],
            "created_at": now,
            "updated_at": now,
            **{k: v for k, v in values.items() if v is not None},
        }
        stmt = (
            insert(self.uow.dialect, agents)
            .values(row)
            .on_conflict_do_nothing(index_elements=["project_id", "agent_type"])
            .returning(agents.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def set(self, agent_type: str, values: Mapping[str, Any]) -> None:
        stmt = (
            update(agents)
            .where(self._scoped(), agents.c.agent_type == agent_type)
            .values({**values, "updated_at": utcnow()})
        )
        await self.session.execute(stmt)

    async def set_many(self, changes: Mapping[str, Mapping[str, Any]]) -> None:
        """Several agents' new values (all with the same columns), in one executemany."""
        if not changes:
            return
        now = utcnow()
        columns = next(iter(changes.values())).keys()
        stmt = (
            update(agents)
            .where(self._scoped(), agents.c.agent_type == bindparam("_agent_type"))
            .values({c: bindparam(f"_{c}") for c in [*columns, "updated_at"]})
        )
        params = [
            {"_agent_type": name, **{f"_{c}": v for c, v in values.items()}, "_updated_at": now}
            for name, values in sorted(changes.items())
        ]
        await self.session.execute(stmt, params)

    async def history(self, agent_type: str, epoch: int, limit: int) -> Sequence[RowMapping]:
        stmt = (
            select(results)
            .where(
                results.c.project_id == self.uow.project_id,
                results.c.ai_type == agent_type,
                results.c.agent_epoch == epoch,
            )
            .order_by(results.c.created_at.desc(), results.c.id.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).mappings())

    async def insert_result(self, values: Mapping[str, Any]) -> bool:
        """Insert a result unless its id exists; True when inserted (idempotent on ``id``)."""
        stmt = (
            insert(self.uow.dialect, results)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(results.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def insert_results(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert results unless their id exists (one statement); how many were inserted."""
        stmt = (
            insert(self.uow.dialect, results)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(results.c.id)
        )
        return len((await self.session.execute(stmt, list(rows))).all())

    async def get_result(self, result_id: uuid.UUID) -> RowMapping | None:
        stmt = select(results).where(results.c.id == result_id)
        return (await self.session.execute(stmt)).mappings().one_or_none()

    async def totals(self) -> RowMapping:
        """Overview aggregates in one query."""
        stmt = select(
            func.count().label("total_agents"),
            func.coalesce(func.sum(agents.c.learning_score), 0.0).label("total_learning_score"),
            func.coalesce(func.sum(agents.c.xp), 0).label("total_xp"),
            func.coalesce(func.sum(agents.c.total_tests_given), 0).label("total_tests_given"),
            func.coalesce(func.sum(agents.c.total_tests_passed), 0).label("total_tests_passed"),
            func.coalesce(func.sum(agents.c.total_tests_failed), 0).label("total_tests_failed"),
            func.coalesce(func.avg(agents.c.level), 0.0).label("average_level"),
            func.coalesce(func.avg(agents.c.learning_score), 0.0).label("average_learning_score"),
            func.coalesce(func.sum(agents.c.total_learning_cycles), 0).label(
                "total_learning_cycles"
            ),
            func.coalesce(func.sum(case((agents.c.is_active, 1), else_=0)), 0).label(
                "active_agents"
            ),
        ).where(self._scoped())
        return (await self.session.execute(stmt)).mappings().one()

    async def agent_types(self) -> list[str]:
        stmt = select(agents.c.agent_type).where(self._scoped()).order_by(agents.c.agent_type)
        return list((await self.session.execute(stmt)).scalars())

    async def difficulty_distribution(self) -> dict[str, int]:
        stmt = (
            select(agents.c.current_difficulty, func.count())
            .where(self._scoped())
            .group_by(agents.c.current_difficulty)
        )
        return {d: n for d, n in (await self.session.execute(stmt)).all()}

    async def top_by_xp(self, limit: int) -> Sequence[RowMapping]:
        stmt = (
            select(agents.c.agent_type, agents.c.xp, agents.c.level, agents.c.pass_rate)
            .where(self._scoped())
            .order_by(agents.c.xp.desc(), agents.c.agent_type)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).mappings())

    async def agents_tested_since(self, since: datetime) -> int:
        """Agents with a result since ``since``: read from the agents' ``last_test_date``,
        so the analytics summary stays O(agents) however many results there are."""
        stmt = select(func.count()).where(self._scoped(), agents.c.last_test_date >= since)
        return int((await self.session.execute(stmt)).scalar_one())
