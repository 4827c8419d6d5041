"""API shapes of the consensus group (seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from evalledger.schema.types import RequestModel

Choice = Field(min_length=1, max_length=100)


class NodeIn(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    metadata: dict[str, Any] | None = None


class NodeOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    is_active: bool
    metadata: dict[str, Any] | None
    created_at: datetime


class ProposalIn(RequestModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    choices: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=2, max_length=100
    )
    quorum: int = Field(ge=1, le=100_000, description="votes needed before a decision counts")

    @field_validator("choices")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("choices must be distinct")
        if any(not c or len(c) > 100 for c in value):
            raise ValueError("each choice must be 1..100 characters")
        return value


class StateOut(BaseModel):
    counts: dict[str, int]
    total_votes: int
    winner: str | None
    quorum_reached: bool
    decided: bool
    updated_at: datetime


class ProposalOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    choices: list[str]
    quorum: int
    status: Literal["open", "decided", "no_consensus"]
    outcome: str | None
    decided_at: datetime | None
    created_at: datetime
    state: StateOut | None = None


class VoteIn(RequestModel):
    node: str = Field(min_length=1, max_length=255, description="the voting node's name")
    choice: str = Choice


class VoteOut(BaseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    node_id: uuid.UUID
    choice: str
    created_at: datetime
    state: StateOut
