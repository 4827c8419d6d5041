"""The framework group's operations (BrahminyKite's framework tables): executions with status
and timings, metrics, configuration and state checkpoints, under ``/api/v1/frameworks``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import MaxLen, MinLen

from evalledger.framework.schemas import (
    ConfigurationIn,
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
    from evalledger.framework.service import FrameworkService

#: A framework's name, as it appears in the path.
FrameworkName = Annotated[str, MinLen(1), MaxLen(50)]


class FrameworkOperations(
    OperationGroup,
    prefix="/api/v1/frameworks",
    tag="frameworks",
    service="evalledger.framework.service:FrameworkService",
):
    @post("/executions", summary="Start one", status=201)
    async def start_execution(svc: FrameworkService, execution: In[ExecutionStart]) -> ExecutionOut:
        """Start an execution of a framework (status ``running``)."""
        return await svc.start_execution(as_model(ExecutionStart, execution))

    @get("/executions", summary="Newest first")
    async def list_executions(
        svc: FrameworkService,
        *,
        framework: Annotated[str | None, MaxLen(50)] = None,
        status: Literal["running", "completed", "failed"] | None = None,
        limit: PageSize = 100,
    ) -> list[ExecutionOut]:
        """Executions, newest first, optionally of one framework or in one status."""
        return await svc.list_executions(framework, status, limit)

    @get("/executions/stats", summary="Per framework")
    async def execution_stats(svc: FrameworkService) -> list[ExecutionStats]:
        """Counts, success rate and durations per framework."""
        return await svc.execution_stats()

    @get("/executions/{execution_id}", summary="One")
    async def get_execution(svc: FrameworkService, execution_id: AnyId) -> ExecutionOut:
        """The execution with this id."""
        return await svc.get_execution(as_uuid(execution_id))

    @post(
        "/executions/{execution_id}/finish",
        summary="Finish a running execution (sets finished_at and duration_ms; 409 if finished)",
    )
    async def finish_execution(
        svc: FrameworkService, execution_id: AnyId, finish: In[ExecutionFinish]
    ) -> ExecutionOut:
        """Finish a running execution; finishing it twice is a conflict."""
        return await svc.finish_execution(as_uuid(execution_id), as_model(ExecutionFinish, finish))

    @post("/metrics", summary="Record a metric", status=201)
    async def record_framework_metric(svc: FrameworkService, metric: In[MetricIn]) -> MetricOut:
        """Record one named metric value of a framework."""
        return await svc.record_metric(as_model(MetricIn, metric))

    @get("/{framework}/metrics", summary="Metric statistics")
    async def framework_metric_summary(
        svc: FrameworkService, framework: FrameworkName
    ) -> list[MetricSummary]:
        """Per metric name: count, mean, minimum and maximum."""
        return await svc.metric_summary(framework)

    @put("/{framework}/configuration", summary="Set", body=ConfigurationIn)
    async def set_framework_configuration(
        svc: FrameworkService, framework: FrameworkName, config: Mapping[str, Any]
    ) -> ConfigurationOut:
        """Replace the framework's configuration document."""
        return await svc.set_configuration(framework, dict(config))

    @get("/{framework}/configuration", summary="Get")
    async def get_framework_configuration(
        svc: FrameworkService, framework: FrameworkName
    ) -> ConfigurationOut:
        """The framework's configuration document."""
        return await svc.get_configuration(framework)

    @post("/{framework}/state", summary="Save", status=201)
    async def save_framework_state(
        svc: FrameworkService, framework: FrameworkName, state: In[StateIn]
    ) -> StateCheckpointOut:
        """Save a state checkpoint (a new version each time)."""
        return await svc.save_state(framework, as_model(StateIn, state))

    @get("/{framework}/state", summary="Latest state")
    async def latest_framework_state(
        svc: FrameworkService, framework: FrameworkName
    ) -> StateCheckpointOut:
        """The newest state checkpoint."""
        return await svc.latest_state(framework)
