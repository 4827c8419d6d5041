"""The framework group on the in-process SDK."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from evalledger.errors import parse_uuid
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
from evalledger.framework.service import FrameworkService
from evalledger.sdk.base import LedgerBase
from evalledger.verification.facade import as_model


class FrameworkFacade(LedgerBase):
    async def start_execution(self, execution: ExecutionStart | Mapping[str, Any]) -> ExecutionOut:
        body = as_model(ExecutionStart, execution)
        async with self._write() as uow:
            return await FrameworkService(uow).start_execution(body)

    async def finish_execution(
        self, execution_id: uuid.UUID | str, finish: ExecutionFinish | Mapping[str, Any]
    ) -> ExecutionOut:
        body = as_model(ExecutionFinish, finish)
        async with self._write() as uow:
            return await FrameworkService(uow).finish_execution(
                parse_uuid(execution_id, "execution_id"), body
            )

    async def get_execution(self, execution_id: uuid.UUID | str) -> ExecutionOut:
        async with self._read() as uow:
            return await FrameworkService(uow).get_execution(
                parse_uuid(execution_id, "execution_id")
            )

    async def list_executions(
        self, *, framework: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[ExecutionOut]:
        async with self._read() as uow:
            return await FrameworkService(uow).list_executions(framework, status, limit)

    async def execution_stats(self) -> list[ExecutionStats]:
        async with self._read() as uow:
            return await FrameworkService(uow).execution_stats()

    async def record_framework_metric(self, metric: MetricIn | Mapping[str, Any]) -> MetricOut:
        body = as_model(MetricIn, metric)
        async with self._write() as uow:
            return await FrameworkService(uow).record_metric(body)

    async def framework_metric_summary(self, framework: str) -> list[MetricSummary]:
        async with self._read() as uow:
            return await FrameworkService(uow).metric_summary(framework)

    async def set_framework_configuration(
        self, framework: str, config: Mapping[str, Any]
    ) -> ConfigurationOut:
        async with self._write() as uow:
            return await FrameworkService(uow).set_configuration(framework, dict(config))

    async def get_framework_configuration(self, framework: str) -> ConfigurationOut:
        async with self._read() as uow:
            return await FrameworkService(uow).get_configuration(framework)

    async def save_framework_state(
        self, framework: str, state: StateIn | Mapping[str, Any]
    ) -> StateCheckpointOut:
        body = as_model(StateIn, state)
        async with self._write() as uow:
            return await FrameworkService(uow).save_state(framework, body)

    async def latest_framework_state(self, framework: str) -> StateCheckpointOut:
        async with self._read() as uow:
            return await FrameworkService(uow).latest_state(framework)
