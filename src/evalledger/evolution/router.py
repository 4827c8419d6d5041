"""REST of the evolution group under ``/api/v1/evolution``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Path, Query

from evalledger.api.deps import Reader, Writer
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

router = APIRouter(prefix="/api/v1/evolution", tags=["evolution"])


@router.post("/agents", response_model=AgentOut, status_code=201, summary="Create an agent")
async def create_agent(body: AgentIn, ledger: Writer) -> AgentOut:
    return await ledger.create_evolution_agent(body)


@router.get("/agents", response_model=list[AgentOut], summary="Agents, newest first")
async def list_agents(
    ledger: Reader,
    generation: int | None = Query(None, ge=0, le=MAX_GENERATION),
    limit: int = Query(100, ge=1, le=1000),
) -> list[AgentOut]:
    return await ledger.list_evolution_agents(generation=generation, limit=limit)


@router.get("/agents/{agent_id}", response_model=AgentOut, summary="One agent")
async def get_agent(agent_id: uuid.UUID, ledger: Reader) -> AgentOut:
    return await ledger.get_evolution_agent(agent_id)


@router.get(
    "/agents/{agent_id}/lineage", response_model=list[AgentOut], summary="Itself, then ancestors"
)
async def lineage(agent_id: uuid.UUID, ledger: Reader) -> list[AgentOut]:
    return await ledger.agent_lineage(agent_id)


@router.put("/agents/{agent_id}/fitness", response_model=AgentOut, summary="Set fitness")
async def set_fitness(agent_id: uuid.UUID, body: FitnessIn, ledger: Writer) -> AgentOut:
    return await ledger.set_fitness(agent_id, body.fitness)


@router.post(
    "/agents/{agent_id}/metrics", response_model=MetricOut, status_code=201, summary="Metric"
)
async def record_metric(agent_id: uuid.UUID, body: MetricIn, ledger: Writer) -> MetricOut:
    return await ledger.record_evolution_metric(agent_id, body)


@router.get("/agents/{agent_id}/metrics", response_model=list[MetricOut], summary="Metrics")
async def agent_metrics(agent_id: uuid.UUID, ledger: Reader) -> list[MetricOut]:
    return await ledger.evolution_agent_metrics(agent_id)


@router.post(
    "/agents/{agent_id}/snapshots",
    response_model=SnapshotOut,
    status_code=201,
    summary="Snapshot state",
)
async def snapshot(agent_id: uuid.UUID, body: SnapshotIn, ledger: Writer) -> SnapshotOut:
    return await ledger.snapshot_agent(agent_id, body)


@router.get(
    "/agents/{agent_id}/snapshots/latest", response_model=SnapshotOut, summary="Newest snapshot"
)
async def latest_snapshot(agent_id: uuid.UUID, ledger: Reader) -> SnapshotOut:
    return await ledger.latest_snapshot(agent_id)


@router.get(
    "/generations/stats",
    response_model=list[GenerationStats],
    summary="Fitness max/avg/min and counts per generation",
)
async def generation_stats(ledger: Reader) -> list[GenerationStats]:
    return await ledger.generation_stats()


@router.get("/generations/{generation}/best", response_model=AgentOut, summary="Fittest agent")
async def best_agent(ledger: Reader, generation: int = Path(ge=0, le=MAX_GENERATION)) -> AgentOut:
    return await ledger.best_agent(generation)
