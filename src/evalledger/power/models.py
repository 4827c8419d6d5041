"""Seed 004's power-dynamics tables: nodes (with a power balance), relations, metrics, events."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, NamedMixin, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType


class PowerNode(UUIDMixin, ProjectScopedMixin, NamedMixin, TimestampMixin, Base):
    __tablename__ = "power_nodes"
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        CheckConstraint("power >= 0", name="power_nonnegative"),
    )

    power: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)


class PowerRelation(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    """``source`` has power over ``target`` with strength ``weight``."""

    __tablename__ = "power_relations"
    __table_args__ = (
        UniqueConstraint("source_id", "target_id"),
        CheckConstraint("weight >= 0", name="weight_nonnegative"),
        CheckConstraint("source_id <> target_id", name="not_self"),
    )

    source_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("power_nodes.id", ondelete="CASCADE"), nullable=False
    )
    target_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("power_nodes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    weight: Mapped[float] = mapped_column(Float, nullable=False)


class PowerMetric(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "power_metrics"
    __table_args__ = (Index("idx_power_metrics_node", "node_id", "name"),)

    node_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("power_nodes.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)


class PowerEvent(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "power_events"

    event_type: Mapped[str] = mapped_column(String(50), nullable=False)
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("power_nodes.id", ondelete="SET NULL"), nullable=True
    )
    target_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("power_nodes.id", ondelete="SET NULL"), nullable=True
    )
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
