"""API shapes of the evolution group (seed 004)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from evalledger.verification.schemas import StrictModel

Fitness = Field(None, allow_inf_nan=False)


#: Generations are counted from 0; a million is far beyond any real run.
MAX_GENERATION = 1_000_000


class AgentIn(StrictModel):
    name: str = Field(min_length=1, max_length=255)
    description: str | None = Field(None, max_length=2000)
    parent_id: uuid.UUID | None = None
    generation: int | None = Field(
        None, ge=0, le=MAX_GENERATION, description="default: parent's + 1, or 0 without a parent"
    )
    fitness: float | None = Fitness
    genome: dict[str, Any] | None = None


class AgentOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    parent_id: uuid.UUID | None
    generation: int
    fitness: float | None
    genome: dict[str, Any] | None
    created_at: datetime


class FitnessIn(StrictModel):
    fitness: float = Field(allow_inf_nan=False)


class MetricIn(StrictModel):
    name: str = Field(min_length=1, max_length=100)
    value: float = Field(allow_inf_nan=False)


class MetricOut(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    generation: int
    name: str
    value: float
    created_at: datetime


class SnapshotIn(StrictModel):
    state: Any


class SnapshotOut(BaseModel):
    id: uuid.UUID
    agent_id: uuid.UUID
    generation: int
    state: Any
    created_at: datetime


class GenerationStats(BaseModel):
    """Fitness statistics of one generation (SQL aggregates; agents without fitness are
    counted in ``agents`` but not in the fitness figures)."""

    generation: int
    agents: int
    scored: int
    max_fitness: float | None
    avg_fitness: float | None
    min_fitness: float | None
