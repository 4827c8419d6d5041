"""The framework group over HTTP (same names and return types as its facade)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.audit.client import query
from evalledger.framework.schemas import (
    ConfigurationOut,
    ExecutionFinish,
    ExecutionOut,
    ExecutionStart,
    ExecutionStats,
    MetricIn,
    MetricOut,
    MetricSummary,
    StateCheckpointOut,
    StateIn,
)
from evalledger.sdk.http import HttpBase
from evalledger.verification.client import as_list, body, seg

BASE = "/api/v1/frameworks"


class FrameworkClient(HttpBase):
    async def start_execution(self, execution: ExecutionStart | Mapping[str, Any]) -> ExecutionOut:
        data = await self._request(
            "POST", f"{BASE}/executions", json=body(ExecutionStart, execution)
        )
        return ExecutionOut.model_validate(data)

    async def finish_execution(
        self, execution_id: uuid.UUID | str, finish: ExecutionFinish | Mapping[str, Any]
    ) -> ExecutionOut:
        data = await self._request(
            "POST",
            f"{BASE}/executions/{seg(execution_id)}/finish",
            json=body(ExecutionFinish, finish),
        )
        return ExecutionOut.model_validate(data)

    async def get_execution(self, execution_id: uuid.UUID | str) -> ExecutionOut:
        data = await self._request("GET", f"{BASE}/executions/{seg(execution_id)}")
        return ExecutionOut.model_validate(data)

    async def list_executions(
        self, *, framework: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[ExecutionOut]:
        params = query(framework=framework, status=status, limit=limit)
        data = await self._request("GET", f"{BASE}/executions", params=params)
        return as_list(ExecutionOut, data)  # type: ignore[no-any-return]

    async def execution_stats(self) -> list[ExecutionStats]:
        data = await self._request("GET", f"{BASE}/executions/stats")
        return as_list(ExecutionStats, data)  # type: ignore[no-any-return]

    async def record_framework_metric(self, metric: MetricIn | Mapping[str, Any]) -> MetricOut:
        data = await self._request("POST", f"{BASE}/metrics", json=body(MetricIn, metric))
        return MetricOut.model_validate(data)

    async def framework_metric_summary(self, framework: str) -> list[MetricSummary]:
        data = await self._request("GET", f"{BASE}/{seg(framework)}/metrics")
        return as_list(MetricSummary, data)  # type: ignore[no-any-return]

    async def set_framework_configuration(
        self, framework: str, config: Mapping[str, Any]
    ) -> ConfigurationOut:
        data = await self._request(
            "PUT", f"{BASE}/{seg(framework)}/configuration", json={"config": dict(config)}
        )
        return ConfigurationOut.model_validate(data)

    async def get_framework_configuration(self, framework: str) -> ConfigurationOut:
        data = await self._request("GET", f"{BASE}/{seg(framework)}/configuration")
        return ConfigurationOut.model_validate(data)

    async def save_framework_state(
        self, framework: str, state: StateIn | Mapping[str, Any]
    ) -> StateCheckpointOut:
        data = await self._request(
            "POST", f"{BASE}/{seg(framework)}/state", json=body(StateIn, state)
        )
        return StateCheckpointOut.model_validate(data)

    async def latest_framework_state(self, framework: str) -> StateCheckpointOut:
        data = await self._request("GET", f"{BASE}/{seg(framework)}/state")
        return StateCheckpointOut.model_validate(data)
