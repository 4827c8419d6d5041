"""API shapes of claims, verifications, consensus decisions and verification requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from evalledger.schema.types import RequestModel
from evalledger.verification.consensus_rules import CONSENSUS_RULES

ConsensusRule = Literal["majority", "confidence_weighted", "unanimous"]
assert tuple(ConsensusRule.__args__) == CONSENSUS_RULES  # type: ignore[attr-defined]

RequestStatus = Literal["pending", "processing", "completed", "failed"]

#: The key of a verification's ``result`` that holds its boolean verdict (used by consensus).
VALIDITY_KEY = "valid"

Name50 = Field(min_length=1, max_length=50)
Ident = Field(min_length=1, max_length=255)


class StrictModel(RequestModel):
    """Request bodies: unknown fields are an error (a typo is not silently ignored), and
    ``true``/``false`` is not a number (see :class:`evalledger.schema.types.RequestModel`)."""


class ClaimIn(StrictModel):
    external_id: str = Ident
    content: str = Field(min_length=1, max_length=1_000_000)
    claim_type: str | None = Field(None, max_length=100)
    source: str | None = Field(None, max_length=255)
    metadata: dict[str, Any] | None = None


class ClaimOut(BaseModel):
    id: uuid.UUID
    external_id: str
    content: str
    claim_type: str | None
    source: str | None
    metadata: dict[str, Any] | None
    created_at: datetime


class VerificationIn(StrictModel):
    """One framework's verification of a claim. ``result["valid"]`` (a bool) is the verdict
    consensus uses; results without it are stored but cannot take part in consensus."""

    claim_id: str = Ident
    framework: str = Name50
    result: dict[str, Any]
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    evidence: dict[str, Any] | None = None
    processing_time_ms: int | None = Field(None, ge=0, le=2_000_000_000)
    model_version: str | None = Field(None, max_length=50)


class VerificationOut(BaseModel):
    id: uuid.UUID
    claim_id: str
    framework: str
    result: dict[str, Any]
    confidence: float
    evidence: dict[str, Any] | None
    processing_time_ms: int | None
    model_version: str | None
    created_at: datetime
    updated_at: datetime


class FrameworkStats(BaseModel):
    """Per-framework aggregates over verification results (SQL GROUP BY)."""

    framework: str
    count: int
    avg_confidence: float | None
    avg_processing_time_ms: float | None


class ConsensusOut(BaseModel):
    id: uuid.UUID
    claim_id: str
    consensus_result: dict[str, Any] = Field(
        description="valid (bool or null = no consensus), votes_for, votes_against, support, "
        "verification_ids"
    )
    participating_frameworks: list[str]
    consensus_type: str
    consensus_confidence: float
    decision_time_ms: int | None
    created_at: datetime

    @property
    def valid(self) -> bool | None:
        value = self.consensus_result.get("valid")
        return value if isinstance(value, bool) else None


class VerificationRequestIn(StrictModel):
    request_id: str = Ident
    client_id: str = Ident
    content: str = Field(min_length=1, max_length=1_000_000)
    content_type: str = Field("text", min_length=1, max_length=50)
    frameworks: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        min_length=1, max_length=100
    )
    priority: int = Field(0, ge=-1000, le=1000)


class VerificationRequestOut(BaseModel):
    id: uuid.UUID
    request_id: str
    client_id: str
    content: str
    content_type: str
    frameworks: list[str]
    status: RequestStatus
    priority: int
    created_at: datetime
    updated_at: datetime


class RequestStatusIn(StrictModel):
    status: RequestStatus
