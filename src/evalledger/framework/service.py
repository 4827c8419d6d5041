"""Framework executions (status and timings), metrics, configuration and state checkpoints.

An execution starts ``running`` with ``started_at``; finishing it (``completed`` or
``failed``) under its row lock sets ``finished_at`` and ``duration_ms`` once: finishing a
finished execution is a 409, so a retried "finish" can never rewrite its timings.
"""

from __future__ import annotations

import uuid

from evalledger.db.repository import row_to_dict
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError
from evalledger.framework.repository import (
    ConfigurationRepository,
    ExecutionRepository,
    FrameworkMetricRepository,
    FrameworkStateRepository,
)
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
from evalledger.uow import UnitOfWork


class FrameworkService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.executions = ExecutionRepository(uow)
        self.metrics = FrameworkMetricRepository(uow)
        self.configs = ConfigurationRepository(uow)
        self.states = FrameworkStateRepository(uow)

    async def start_execution(self, data: ExecutionStart) -> ExecutionOut:
        row = await self.executions.add(**data.model_dump(), status="running", started_at=utcnow())
        self.uow.audit("framework_execution", row.id, "start", {"framework": data.framework})
        return ExecutionOut.model_validate(row_to_dict(row))

    async def finish_execution(
        self, execution_id: uuid.UUID, data: ExecutionFinish
    ) -> ExecutionOut:
        row = await self.executions.get(execution_id, lock=True)
        if row.status != "running":
            raise ConflictError(f"execution {execution_id} is already {row.status}", field="status")
        finished = utcnow()
        duration_ms = max(0, round((finished - row.started_at).total_seconds() * 1000))
        updated = await self.executions.update(
            execution_id,
            status=data.status,
            output=data.output,
            error=data.error,
            finished_at=finished,
            duration_ms=duration_ms,
        )
        self.uow.audit(
            "framework_execution",
            execution_id,
            "finish",
            {"status": data.status, "duration_ms": duration_ms},
        )
        return ExecutionOut.model_validate(row_to_dict(updated))

    async def get_execution(self, execution_id: uuid.UUID) -> ExecutionOut:
        return ExecutionOut.model_validate(row_to_dict(await self.executions.get(execution_id)))

    async def list_executions(
        self, framework: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[ExecutionOut]:
        rows, _ = await self.executions.list(
            {"framework": framework, "status": status}, limit=limit
        )
        return [ExecutionOut.model_validate(row_to_dict(r)) for r in rows]

    async def execution_stats(self) -> list[ExecutionStats]:
        return [ExecutionStats.model_validate(r) for r in await self.executions.stats()]

    async def record_metric(self, data: MetricIn) -> MetricOut:
        if data.execution_id is not None:
            await self.executions.get(data.execution_id)
        row = await self.metrics.add(**data.model_dump())
        self.uow.audit("framework_metric", row.id, "create", data.model_dump(mode="json"))
        return MetricOut.model_validate(row_to_dict(row))

    async def metric_summary(self, framework: str) -> list[MetricSummary]:
        return [MetricSummary.model_validate(r) for r in await self.metrics.summary(framework)]

    async def set_configuration(
        self, framework: str, config: dict[str, object]
    ) -> ConfigurationOut:
        row = await self.configs.put(framework, dict(config))
        self.uow.audit("framework_configuration", framework, "set", {"version": row.version})
        return ConfigurationOut.model_validate(row_to_dict(row))

    async def get_configuration(self, framework: str) -> ConfigurationOut:
        row = await self.configs.find_by(framework=framework)
        if row is None:
            raise NotFoundError(f"framework {framework!r} has no configuration", field="framework")
        return ConfigurationOut.model_validate(row_to_dict(row))

    async def save_state(self, framework: str, data: StateIn) -> StateCheckpointOut:
        if data.execution_id is not None:
            await self.executions.get(data.execution_id)
        row = await self.states.add(framework=framework, **data.model_dump())
        self.uow.audit("framework_state_checkpoint", row.id, "create", {"framework": framework})
        return StateCheckpointOut.model_validate(row_to_dict(row))

    async def latest_state(self, framework: str) -> StateCheckpointOut:
        rows, _ = await self.states.list({"framework": framework}, limit=1)
        if not rows:
            raise NotFoundError(f"framework {framework!r} has no saved state", field="framework")
        return StateCheckpointOut.model_validate(row_to_dict(rows[0]))
