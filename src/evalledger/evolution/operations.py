"""The evolution group's operations (seed 004): agents with lineage across generations,
fitness, metrics and state snapshots, under ``/api/v1/evolution``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le

from evalledger.evolution.schemas import (
    MAX_GENERATION,
    AgentIn,
    AgentOut,
    FitnessIn,
    GenerationStats,
    MetricIn,
    MetricOut,
    SnapshotIn,
    SnapshotOut,
)
from evalledger.operations import (
    AnyId,
    In,
    OperationGroup,
    PageSize,
    as_model,
    as_uuid,
    get,
    post,
    put,
)

if TYPE_CHECKING:
    from evalledger.evolution.service import EvolutionService

#: A generation number: counted from 0.
Generation = Annotated[int, Ge(0), Le(MAX_GENERATION)]


class EvolutionOperations(
    OperationGroup,
    prefix="/api/v1/evolution",
    tag="evolution",
    service="evalledger.evolution.service:EvolutionService",
):
    @post("/agents", summary="Create an agent", status=201)
    async def create_evolution_agent(svc: EvolutionService, agent: In[AgentIn]) -> AgentOut:
        """Create an agent; its generation defaults to its parent's + 1 (0 without a parent)
        and must be later than the parent's."""
        return await svc.create_agent(as_model(AgentIn, agent))

    @get("/agents", summary="Agents, newest first")
    async def list_evolution_agents(
        svc: EvolutionService,
        *,
        generation: Annotated[int | None, Ge(0), Le(MAX_GENERATION)] = None,
        limit: PageSize = 100,
    ) -> list[AgentOut]:
        """Agents, newest first, optionally of one generation."""
        return await svc.list_agents(generation, limit)

    @get("/agents/{agent_id}", summary="One agent")
    async def get_evolution_agent(svc: EvolutionService, agent_id: AnyId) -> AgentOut:
        """The agent with this id."""
        return await svc.get_agent(as_uuid(agent_id))

    @get("/agents/{agent_id}/lineage", summary="Itself, then ancestors")
    async def agent_lineage(svc: EvolutionService, agent_id: AnyId) -> list[AgentOut]:
        """The agent, then its parent, grandparent and so on up to its root."""
        return await svc.lineage(as_uuid(agent_id))

    @put("/agents/{agent_id}/fitness", summary="Set fitness", body=FitnessIn)
    async def set_fitness(svc: EvolutionService, agent_id: AnyId, fitness: float) -> AgentOut:
        """Set the agent's fitness and record it as a ``fitness`` metric (its history)."""
        return await svc.set_fitness(as_uuid(agent_id), fitness)

    @post("/agents/{agent_id}/metrics", summary="Metric", status=201)
    async def record_evolution_metric(
        svc: EvolutionService, agent_id: AnyId, metric: In[MetricIn]
    ) -> MetricOut:
        """Record a named metric of the agent (in the agent's generation)."""
        return await svc.record_metric(as_uuid(agent_id), as_model(MetricIn, metric))

    @get("/agents/{agent_id}/metrics", summary="Metrics")
    async def evolution_agent_metrics(svc: EvolutionService, agent_id: AnyId) -> list[MetricOut]:
        """The agent's metrics, oldest first."""
        return await svc.agent_metrics(as_uuid(agent_id))

    @post("/agents/{agent_id}/snapshots", summary="Snapshot state", status=201)
    async def snapshot_agent(
        svc: EvolutionService, agent_id: AnyId, snapshot: In[SnapshotIn]
    ) -> SnapshotOut:
        """Save a snapshot of the agent's state."""
        return await svc.snapshot(as_uuid(agent_id), as_model(SnapshotIn, snapshot))

    @get("/agents/{agent_id}/snapshots/latest", summary="Newest snapshot")
    async def latest_snapshot(svc: EvolutionService, agent_id: AnyId) -> SnapshotOut:
        """The agent's newest state snapshot (404 if it has none)."""
        return await svc.latest_snapshot(as_uuid(agent_id))

    @get("/generations/stats", summary="Fitness max/avg/min and counts per generation")
    async def generation_stats(svc: EvolutionService) -> list[GenerationStats]:
        """Per generation: agents, scored agents, and maximum, mean and minimum fitness."""
        return await svc.generation_stats()

    @get("/generations/{generation}/best", summary="Fittest agent")
    async def best_agent(svc: EvolutionService, generation: Generation) -> AgentOut:
        """The generation's fittest scored agent (ties: the older one)."""
        return await svc.best_agent(generation)
