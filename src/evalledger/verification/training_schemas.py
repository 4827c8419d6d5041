"""API shapes of training data, model checkpoints and service health."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from evalledger.verification.schemas import Ident, Name50, StrictModel


class TrainingDataIn(StrictModel):
    framework: str = Name50
    claim_id: uuid.UUID | None = Field(None, description="a claim's id (not its external id)")
    claim_text: str = Field(min_length=1, max_length=1_000_000)
    evidence: Any
    validity: bool
    confidence: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    metadata: dict[str, Any] | None = None


class TrainingDataOut(BaseModel):
    id: uuid.UUID
    framework: str
    claim_id: uuid.UUID | None
    claim_text: str
    evidence: Any
    validity: bool
    confidence: float | None
    metadata: dict[str, Any] | None
    used_in_training: bool
    training_batch_id: str | None
    created_at: datetime


class BatchClaimIn(StrictModel):
    framework: str = Name50
    size: int = Field(ge=1, le=10_000)
    batch_id: str | None = Field(None, min_length=1, max_length=255, description="default: new")


class TrainingBatch(BaseModel):
    batch_id: str
    framework: str
    items: list[TrainingDataOut]


class CheckpointIn(StrictModel):
    model_name: str = Ident
    framework: str | None = Field(None, min_length=1, max_length=50)
    version: str = Name50
    checkpoint_path: str = Field(min_length=1, max_length=4096)
    metrics: dict[str, Any]
    training_config: dict[str, Any] | None = None
    is_active: bool = Field(False, description="true: activate it (deactivating the others)")


class CheckpointOut(BaseModel):
    id: uuid.UUID
    model_name: str
    framework: str | None
    version: str
    checkpoint_path: str
    metrics: dict[str, Any]
    training_config: dict[str, Any] | None
    is_active: bool
    created_at: datetime


class HeartbeatIn(StrictModel):
    service_name: str = Name50
    instance_id: str = Ident
    status: str = Field("healthy", min_length=1, max_length=20)
    metadata: dict[str, Any] | None = None


class ServiceHealthOut(BaseModel):
    id: uuid.UUID
    service_name: str
    instance_id: str
    status: str
    last_heartbeat: datetime
    metadata: dict[str, Any] | None
    created_at: datetime
