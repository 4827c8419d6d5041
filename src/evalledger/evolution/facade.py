"""The evolution group on the in-process SDK."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.errors import parse_uuid
from evalledger.evolution.schemas import (
    AgentIn,
    AgentOut,
    FitnessIn,
    GenerationStats,
    MetricIn,
    MetricOut,
    SnapshotIn,
    SnapshotOut,
)
from evalledger.evolution.service import EvolutionService
from evalledger.sdk.base import LedgerBase
from evalledger.verification.facade import as_model


def _id(value: uuid.UUID | str) -> uuid.UUID:
    return parse_uuid(value, "agent_id")


class EvolutionFacade(LedgerBase):
    async def create_evolution_agent(self, agent: AgentIn | Mapping[str, Any]) -> AgentOut:
        body = as_model(AgentIn, agent)
        async with self._write() as uow:
            return await EvolutionService(uow).create_agent(body)

    async def get_evolution_agent(self, agent_id: uuid.UUID | str) -> AgentOut:
        async with self._read() as uow:
            return await EvolutionService(uow).get_agent(_id(agent_id))

    async def list_evolution_agents(
        self, *, generation: int | None = None, limit: int = 100
    ) -> list[AgentOut]:
        async with self._read() as uow:
            return await EvolutionService(uow).list_agents(generation, limit)

    async def set_fitness(self, agent_id: uuid.UUID | str, fitness: float) -> AgentOut:
        body = FitnessIn(fitness=fitness)
        async with self._write() as uow:
            return await EvolutionService(uow).set_fitness(_id(agent_id), body.fitness)

    async def record_evolution_metric(
        self, agent_id: uuid.UUID | str, metric: MetricIn | Mapping[str, Any]
    ) -> MetricOut:
        body = as_model(MetricIn, metric)
        async with self._write() as uow:
            return await EvolutionService(uow).record_metric(_id(agent_id), body)

    async def evolution_agent_metrics(self, agent_id: uuid.UUID | str) -> list[MetricOut]:
        async with self._read() as uow:
            return await EvolutionService(uow).agent_metrics(_id(agent_id))

    async def snapshot_agent(
        self, agent_id: uuid.UUID | str, snapshot: SnapshotIn | Mapping[str, Any]
    ) -> SnapshotOut:
        body = as_model(SnapshotIn, snapshot)
        async with self._write() as uow:
            return await EvolutionService(uow).snapshot(_id(agent_id), body)

    async def latest_snapshot(self, agent_id: uuid.UUID | str) -> SnapshotOut:
        async with self._read() as uow:
            return await EvolutionService(uow).latest_snapshot(_id(agent_id))

    async def agent_lineage(self, agent_id: uuid.UUID | str) -> list[AgentOut]:
        async with self._read() as uow:
            return await EvolutionService(uow).lineage(_id(agent_id))

    async def best_agent(self, generation: int) -> AgentOut:
        async with self._read() as uow:
            return await EvolutionService(uow).best_agent(generation)

    async def generation_stats(self) -> list[GenerationStats]:
        async with self._read() as uow:
            return await EvolutionService(uow).generation_stats()
