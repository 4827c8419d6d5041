"""API shapes of the framework group (seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from evalledger.verification.schemas import Name50, StrictModel


class ExecutionStart(StrictModel):
    framework: str = Name50
    claim_id: str | None = Field(None, max_length=255)
    input: Any | None = None


class ExecutionFinish(StrictModel):
    status: Literal["completed", "failed"]
    output: Any | None = None
    error: str | None = Field(None, max_length=100_000)


class ExecutionOut(BaseModel):
    id: uuid.UUID
    framework: str
    claim_id: str | None
    status: Literal["running", "completed", "failed"]
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    input: Any | None
    output: Any | None
    error: str | None


class ExecutionStats(BaseModel):
    """Per framework (SQL GROUP BY): executions by status and duration of finished ones."""

    framework: str
    total: int
    running: int
    completed: int
    failed: int
    avg_duration_ms: float | None
    max_duration_ms: int | None


class MetricIn(StrictModel):
    framework: str = Name50
    name: str = Field(min_length=1, max_length=100)
    value: float = Field(allow_inf_nan=False)
    execution_id: uuid.UUID | None = None


class MetricOut(BaseModel):
    id: uuid.UUID
    framework: str
    execution_id: uuid.UUID | None
    name: str
    value: float
    created_at: datetime


class MetricSummary(BaseModel):
    name: str
    count: int
    avg: float
    min: float
    max: float


class ConfigurationIn(StrictModel):
    config: dict[str, Any]


class ConfigurationOut(BaseModel):
    framework: str
    config: dict[str, Any]
    version: int = Field(description="1 on creation, +1 on every change")
    updated_at: datetime


class StateIn(StrictModel):
    state: Any
    execution_id: uuid.UUID | None = None


class StateCheckpointOut(BaseModel):
    id: uuid.UUID
    framework: str
    execution_id: uuid.UUID | None
    state: Any
    created_at: datetime
