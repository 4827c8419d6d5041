"""API shapes of the power-dynamics group (seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from evalledger.schema.types import RequestModel

NodeName = Field(min_length=1, max_length=255)


class PowerNodeIn(RequestModel):
    name: str = NodeName
    description: str | None = Field(None, max_length=2000)
    power: float = Field(0.0, ge=0, le=1e15, allow_inf_nan=False)


class PowerNodeOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    power: float
    created_at: datetime


class RelationIn(RequestModel):
    """``source`` has power over ``target`` with strength ``weight``."""

    source: str = NodeName
    target: str = NodeName
    weight: float = Field(ge=0, le=1e15, allow_inf_nan=False)


class RelationOut(BaseModel):
    id: uuid.UUID
    source: str
    target: str
    weight: float


class TransferIn(RequestModel):
    source: str = NodeName
    target: str = NodeName
    amount: float = Field(gt=0, le=1e15, allow_inf_nan=False)
    reason: str | None = Field(None, max_length=1000)


class PowerEventOut(BaseModel):
    id: uuid.UUID
    event_type: str
    source_id: uuid.UUID | None
    target_id: uuid.UUID | None
    amount: float | None
    details: dict[str, Any] | None
    created_at: datetime


class TransferOut(BaseModel):
    event: PowerEventOut
    balances: dict[str, float] = Field(description="the two nodes' balances after the transfer")


class NetworkAnalysis(BaseModel):
    influence: dict[str, float] = Field(description="node name -> influence (sums to 1)")
    coalitions: list[list[str]] = Field(description="groups joined by relations >= threshold")
    threshold: float


class PowerMetricOut(BaseModel):
    node: str
    name: str
    value: float
    created_at: datetime
