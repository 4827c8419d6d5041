"""The evolution group over HTTP (same names and return types as its facade)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.audit.client import query
from evalledger.evolution.schemas import (
    AgentIn,
    AgentOut,
    GenerationStats,
    MetricIn,
    MetricOut,
    SnapshotIn,
    SnapshotOut,
)
from evalledger.sdk.http import HttpBase
from evalledger.verification.client import as_list, body, seg

BASE = "/api/v1/evolution"


class EvolutionClient(HttpBase):
    async def create_evolution_agent(self, agent: AgentIn | Mapping[str, Any]) -> AgentOut:
        data = await self._request("POST", f"{BASE}/agents", json=body(AgentIn, agent))
        return AgentOut.model_validate(data)

    async def get_evolution_agent(self, agent_id: uuid.UUID | str) -> AgentOut:
        return AgentOut.model_validate(await self._request("GET", f"{BASE}/agents/{seg(agent_id)}"))

    async def list_evolution_agents(
        self, *, generation: int | None = None, limit: int = 100
    ) -> list[AgentOut]:
        params = query(generation=generation, limit=limit)
        data = await self._request("GET", f"{BASE}/agents", params=params)
        return as_list(AgentOut, data)  # type: ignore[no-any-return]

    async def set_fitness(self, agent_id: uuid.UUID | str, fitness: float) -> AgentOut:
        data = await self._request(
            "PUT", f"{BASE}/agents/{seg(agent_id)}/fitness", json={"fitness": fitness}
        )
        return AgentOut.model_validate(data)

    async def record_evolution_metric(
        self, agent_id: uuid.UUID | str, metric: MetricIn | Mapping[str, Any]
    ) -> MetricOut:
        data = await self._request(
            "POST", f"{BASE}/agents/{seg(agent_id)}/metrics", json=body(MetricIn, metric)
        )
        return MetricOut.model_validate(data)

    async def evolution_agent_metrics(self, agent_id: uuid.UUID | str) -> list[MetricOut]:
        data = await self._request("GET", f"{BASE}/agents/{seg(agent_id)}/metrics")
        return as_list(MetricOut, data)  # type: ignore[no-any-return]

    async def snapshot_agent(
        self, agent_id: uuid.UUID | str, snapshot: SnapshotIn | Mapping[str, Any]
    ) -> SnapshotOut:
        data = await self._request(
            "POST", f"{BASE}/agents/{seg(agent_id)}/snapshots", json=body(SnapshotIn, snapshot)
        )
        return SnapshotOut.model_validate(data)

    async def latest_snapshot(self, agent_id: uuid.UUID | str) -> SnapshotOut:
        data = await self._request("GET", f"{BASE}/agents/{seg(agent_id)}/snapshots/latest")
        return SnapshotOut.model_validate(data)

    async def agent_lineage(self, agent_id: uuid.UUID | str) -> list[AgentOut]:
        data = await self._request("GET", f"{BASE}/agents/{seg(agent_id)}/lineage")
        return as_list(AgentOut, data)  # type: ignore[no-any-return]

    async def best_agent(self, generation: int) -> AgentOut:
        data = await self._request("GET", f"{BASE}/generations/{int(generation)}/best")
        return AgentOut.model_validate(data)

    async def generation_stats(self) -> list[GenerationStats]:
        data = await self._request("GET", f"{BASE}/generations/stats")
        return as_list(GenerationStats, data)  # type: ignore[no-any-return]
