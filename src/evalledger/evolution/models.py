"""Seed 004's evolution tables: agents with lineage, generations, fitness metrics, snapshots."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, NamedMixin, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType


class EvolutionGeneration(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "evolution_generations"
    __table_args__ = (
        UniqueConstraint("project_id", "number"),
        CheckConstraint("number >= 0", name="number_nonnegative"),
    )

    number: Mapped[int] = mapped_column(Integer, nullable=False)
    notes: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class EvolutionAgent(UUIDMixin, ProjectScopedMixin, NamedMixin, TimestampMixin, Base):
    __tablename__ = "evolution_agents"
    __table_args__ = (
        CheckConstraint("generation >= 0", name="generation_nonnegative"),
        Index("idx_evolution_agents_generation", "project_id", "generation", "fitness"),
    )

    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("evolution_agents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    fitness: Mapped[float | None] = mapped_column(Float, nullable=True)
    genome: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class EvolutionMetric(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "evolution_metrics"
    __table_args__ = (Index("idx_evolution_metrics_agent", "agent_id", "name"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evolution_agents.id", ondelete="CASCADE"), nullable=False
    )
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)


class EvolutionSnapshot(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "evolution_snapshots"
    __table_args__ = (Index("idx_evolution_snapshots_agent", "agent_id", "created_at"),)

    agent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("evolution_agents.id", ondelete="CASCADE"), nullable=False
    )
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    state: Mapped[Any] = mapped_column(JSONType, nullable=False)
