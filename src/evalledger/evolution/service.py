"""Evolution: agents with lineage across generations, fitness, metrics and state snapshots.

A child's generation defaults to its parent's + 1 and must be later than the parent's, so a
lineage always runs forward in time. Best agent and per-generation fitness statistics are SQL
aggregates (MAX/AVG/MIN/COUNT ... GROUP BY generation).
"""

from __future__ import annotations

import uuid

from evalledger.db.repository import row_to_dict
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.evolution.models import EvolutionAgent
from evalledger.evolution.repository import (
    EvolutionAgentRepository,
    EvolutionMetricRepository,
    GenerationRepository,
    SnapshotRepository,
)
from evalledger.evolution.schemas import (
    AgentIn,
    AgentOut,
    GenerationStats,
    MetricIn,
    MetricOut,
    SnapshotIn,
    SnapshotOut,
)
from evalledger.uow import UnitOfWork


class EvolutionService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.agents = EvolutionAgentRepository(uow)
        self.generations = GenerationRepository(uow)
        self.metrics = EvolutionMetricRepository(uow)
        self.snapshots = SnapshotRepository(uow)

    async def create_agent(self, data: AgentIn) -> AgentOut:
        generation = data.generation
        if data.parent_id is not None:
            parent = await self.agents.find(data.parent_id)
            if parent is None:
                raise NotFoundError(f"parent agent {data.parent_id} not found", field="parent_id")
            if generation is None:
                generation = parent.generation + 1
            elif generation <= parent.generation:
                raise ValidationFailed(
                    f"generation {generation} must be later than the parent's "
                    f"({parent.generation})",
                    field="generation",
                )
        generation = generation if generation is not None else 0
        await self.generations.ensure(generation)
        values = data.model_dump()
        values["generation"] = generation
        row = await self.agents.add(**values)
        self.uow.audit(
            "evolution_agent",
            row.id,
            "create",
            {
                "generation": generation,
                "parent_id": str(data.parent_id) if data.parent_id else None,
            },
        )
        out = AgentOut.model_validate(row_to_dict(row))
        if data.fitness is not None:
            await self.metrics.add(
                agent_id=out.id, generation=generation, name="fitness", value=data.fitness
            )
        return out

    async def get_agent(self, agent_id: uuid.UUID) -> AgentOut:
        return AgentOut.model_validate(row_to_dict(await self.agents.get(agent_id)))

    async def list_agents(self, generation: int | None = None, limit: int = 100) -> list[AgentOut]:
        rows, _ = await self.agents.list({"generation": generation}, limit=limit)
        return [AgentOut.model_validate(row_to_dict(r)) for r in rows]

    async def set_fitness(self, agent_id: uuid.UUID, fitness: float) -> AgentOut:
        """Set the agent's fitness and record it as a ``fitness`` metric (its history)."""
        row = await self.agents.get(agent_id, lock=True)
        generation = row.generation
        updated = await self.agents.update(agent_id, fitness=fitness)
        await self.metrics.add(
            agent_id=agent_id, generation=generation, name="fitness", value=fitness
        )
        self.uow.audit("evolution_agent", agent_id, "fitness", {"fitness": fitness})
        return AgentOut.model_validate(row_to_dict(updated))

    async def record_metric(self, agent_id: uuid.UUID, data: MetricIn) -> MetricOut:
        agent = await self.agents.get(agent_id)
        row = await self.metrics.add(
            agent_id=agent_id, generation=agent.generation, **data.model_dump()
        )
        self.uow.audit("evolution_metric", row.id, "create", data.model_dump())
        return MetricOut.model_validate(row_to_dict(row))

    async def agent_metrics(self, agent_id: uuid.UUID) -> list[MetricOut]:
        await self.agents.get(agent_id)
        rows, _ = await self.metrics.list({"agent_id": agent_id}, limit=10_000, newest_first=False)
        return [MetricOut.model_validate(row_to_dict(r)) for r in rows]

    async def snapshot(self, agent_id: uuid.UUID, data: SnapshotIn) -> SnapshotOut:
        agent = await self.agents.get(agent_id)
        row = await self.snapshots.add(
            agent_id=agent_id, generation=agent.generation, state=data.state
        )
        self.uow.audit("evolution_snapshot", row.id, "create", {"agent_id": str(agent_id)})
        return SnapshotOut.model_validate(row_to_dict(row))

    async def latest_snapshot(self, agent_id: uuid.UUID) -> SnapshotOut:
        await self.agents.get(agent_id)
        rows, _ = await self.snapshots.list({"agent_id": agent_id}, limit=1)
        if not rows:
            raise NotFoundError(f"agent {agent_id} has no snapshot", field="agent_id")
        return SnapshotOut.model_validate(row_to_dict(rows[0]))

    async def lineage(self, agent_id: uuid.UUID) -> list[AgentOut]:
        await self.agents.get(agent_id)
        ids = await self.agents.lineage(agent_id)
        stmt = self.agents.select().where(EvolutionAgent.id.in_(ids))
        rows = {r.id: r for r in (await self.uow.session.execute(stmt)).scalars()}
        return [AgentOut.model_validate(row_to_dict(rows[i])) for i in ids if i in rows]

    async def best_agent(self, generation: int) -> AgentOut:
        row = await self.agents.best(generation)
        if row is None:
            raise NotFoundError(f"generation {generation} has no scored agent", field="generation")
        return AgentOut.model_validate(row_to_dict(row))

    async def generation_stats(self) -> list[GenerationStats]:
        return [GenerationStats.model_validate(r) for r in await self.agents.generation_stats()]
