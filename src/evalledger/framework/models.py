"""Seed 004's framework tables: executions (status, timings), metrics, configuration, state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime

EXECUTION_STATUSES = ("running", "completed", "failed")


class FrameworkExecution(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "framework_executions"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'completed', 'failed')", name="status"),
        CheckConstraint("duration_ms IS NULL OR duration_ms >= 0", name="duration_nonnegative"),
        Index("idx_framework_executions_status", "project_id", "framework", "status"),
    )

    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    claim_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    input: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    output: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class FrameworkMetric(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "framework_metrics"
    __table_args__ = (Index("idx_framework_metrics_name", "project_id", "framework", "name"),)

    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("framework_executions.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)


class FrameworkConfiguration(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    """One configuration per framework; ``version`` counts its changes."""

    __tablename__ = "framework_configurations"
    __table_args__ = (UniqueConstraint("project_id", "framework"),)

    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class FrameworkStateCheckpoint(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "framework_state_checkpoints"
    __table_args__ = (
        Index("idx_framework_state_checkpoints_framework", "project_id", "framework"),
    )

    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("framework_executions.id", ondelete="SET NULL"), nullable=True
    )
    state: Mapped[Any] = mapped_column(JSONType, nullable=False)
