"""Queries of the evolution group."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Integer, Table, func, literal, select

from evalledger.db.dialect import insert
from evalledger.db.repository import Repository
from evalledger.db.types import utcnow
from evalledger.evolution.models import (
    EvolutionAgent,
    EvolutionGeneration,
    EvolutionMetric,
    EvolutionSnapshot,
)


class EvolutionAgentRepository(Repository[EvolutionAgent]):
    model = EvolutionAgent

    async def best(self, generation: int) -> EvolutionAgent | None:
        """The fittest scored agent of the generation (ties: the older one)."""
        stmt = (
            self.where(self.select(), {"generation": generation})
            .where(EvolutionAgent.fitness.is_not(None))
            .order_by(EvolutionAgent.fitness.desc(), EvolutionAgent.created_at, EvolutionAgent.id)
            .limit(1)
        )
        row: EvolutionAgent | None = (await self.session.execute(stmt)).scalars().first()
        return row

    async def generation_stats(self) -> list[dict[str, Any]]:
        a = EvolutionAgent
        stmt = (
            select(
                a.generation,
                func.count().label("agents"),
                func.count(a.fitness).label("scored"),
                func.max(a.fitness).label("max_fitness"),
                func.avg(a.fitness).label("avg_fitness"),
                func.min(a.fitness).label("min_fitness"),
            )
            .where(a.project_id == self.uow.project_id)
            .group_by(a.generation)
            .order_by(a.generation)
        )
        return [dict(r) for r in (await self.session.execute(stmt)).mappings()]

    async def lineage(self, agent_id: uuid.UUID) -> list[uuid.UUID]:
        """The agent's ancestry, itself first, up to its root (one recursive query)."""
        a = EvolutionAgent
        base = (
            select(a.id, a.parent_id, literal(0, Integer).label("depth"))
            .where(a.project_id == self.uow.project_id, a.id == agent_id)
            .cte("lineage", recursive=True)
        )
        step = (
            select(a.id, a.parent_id, (base.c.depth + 1).label("depth"))
            .join(base, a.id == base.c.parent_id)
            .where(a.project_id == self.uow.project_id, base.c.depth < 100_000)
        )
        tree = base.union_all(step)
        stmt = select(tree.c.id).order_by(tree.c.depth)
        return list((await self.session.execute(stmt)).scalars())


class GenerationRepository(Repository[EvolutionGeneration]):
    model = EvolutionGeneration

    async def ensure(self, number: int) -> None:
        table: Table = EvolutionGeneration.__table__  # type: ignore[assignment]
        now = utcnow()
        stmt = (
            insert(self.uow.dialect, table)
            .values(
                id=uuid.uuid4(),
                project_id=self.uow.project_id,
                number=number,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["project_id", "number"])
        )
        await self.session.execute(stmt)


class EvolutionMetricRepository(Repository[EvolutionMetric]):
    model = EvolutionMetric


class SnapshotRepository(Repository[EvolutionSnapshot]):
    model = EvolutionSnapshot
