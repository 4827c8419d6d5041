"""REST of the framework group under ``/api/v1/frameworks``."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Path, Query

from evalledger.api.deps import Reader, Writer
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

router = APIRouter(prefix="/api/v1/frameworks", tags=["frameworks"])

FrameworkPath = Path(min_length=1, max_length=50)


@router.post("/executions", response_model=ExecutionOut, status_code=201, summary="Start one")
async def start_execution(body: ExecutionStart, ledger: Writer) -> ExecutionOut:
    return await ledger.start_execution(body)


@router.get("/executions", response_model=list[ExecutionOut], summary="Newest first")
async def list_executions(
    ledger: Reader,
    framework: str | None = Query(None, max_length=50),
    status: Literal["running", "completed", "failed"] | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[ExecutionOut]:
    return await ledger.list_executions(framework=framework, status=status, limit=limit)


@router.get("/executions/stats", response_model=list[ExecutionStats], summary="Per framework")
async def execution_stats(ledger: Reader) -> list[ExecutionStats]:
    return await ledger.execution_stats()


@router.get("/executions/{execution_id}", response_model=ExecutionOut, summary="One")
async def get_execution(execution_id: uuid.UUID, ledger: Reader) -> ExecutionOut:
    return await ledger.get_execution(execution_id)


@router.post(
    "/executions/{execution_id}/finish",
    response_model=ExecutionOut,
    summary="Finish a running execution (sets finished_at and duration_ms; 409 if finished)",
)
async def finish_execution(
    execution_id: uuid.UUID, body: ExecutionFinish, ledger: Writer
) -> ExecutionOut:
    return await ledger.finish_execution(execution_id, body)


@router.post("/metrics", response_model=MetricOut, status_code=201, summary="Record a metric")
async def record_metric(body: MetricIn, ledger: Writer) -> MetricOut:
    return await ledger.record_framework_metric(body)


@router.get("/{framework}/metrics", response_model=list[MetricSummary], summary="Metric statistics")
async def metric_summary(ledger: Reader, framework: str = FrameworkPath) -> list[MetricSummary]:
    return await ledger.framework_metric_summary(framework)


@router.put("/{framework}/configuration", response_model=ConfigurationOut, summary="Set")
async def set_configuration(
    body: ConfigurationIn, ledger: Writer, framework: str = FrameworkPath
) -> ConfigurationOut:
    return await ledger.set_framework_configuration(framework, body.config)


@router.get("/{framework}/configuration", response_model=ConfigurationOut, summary="Get")
async def get_configuration(ledger: Reader, framework: str = FrameworkPath) -> ConfigurationOut:
    return await ledger.get_framework_configuration(framework)


@router.post(
    "/{framework}/state", response_model=StateCheckpointOut, status_code=201, summary="Save"
)
async def save_state(
    body: StateIn, ledger: Writer, framework: str = FrameworkPath
) -> StateCheckpointOut:
    return await ledger.save_framework_state(framework, body)


@router.get("/{framework}/state", response_model=StateCheckpointOut, summary="Latest state")
async def latest_state(ledger: Reader, framework: str = FrameworkPath) -> StateCheckpointOut:
    return await ledger.latest_framework_state(framework)
