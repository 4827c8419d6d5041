"""``olympic_events`` (seed 000) and its per-participant index table.

``olympic_events`` keeps the seed's columns as recorded (JSON lists and per-agent dicts), so an
event reads back exactly as it was sent. ``olympic_event_participants`` holds one row per
participant with what the event did to that agent; it exists so that

* ``GET /events?participant=x`` is an indexed ``EXISTS`` on ``(project_id, agent_type)``
  instead of a scan over JSON on either backend,
* event statistics and ratings are plain SQL aggregates / one query, and
* the agents' counters can be checked against what events applied: for the agent's current
  ``epoch``, ``xp`` equals the sum of its results' ``xp_awarded`` plus the sum of its
  participant rows' ``xp_delta`` (the net XP change actually applied, penalties included).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime, row_stamp


class OlympicEvent(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "olympic_events"
    __table_args__ = (
        Index("idx_olympic_events_event_type", "project_id", "event_type", "created_at"),
        Index("idx_olympic_events_created_at", "project_id", "created_at", "id"),
    )

    # Indexed through idx_olympic_events_created_at (project first), not the mixin's index.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=row_stamp, nullable=False)

    event_type: Mapped[str] = mapped_column(String(50), nullable=False)
    participants: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    questions: Mapped[list[Any]] = mapped_column(JSONType, nullable=False)
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    scores: Mapped[dict[str, float] | None] = mapped_column(JSONType, nullable=True)
    xp_awarded: Mapped[dict[str, int] | None] = mapped_column(JSONType, nullable=True)
    learning_awarded: Mapped[dict[str, float] | None] = mapped_column(JSONType, nullable=True)
    penalties: Mapped[dict[str, int] | None] = mapped_column(JSONType, nullable=True)
    winners: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    event_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class OlympicEventParticipant(Base):
    """What one event did to one participant (one row per event and agent)."""

    __tablename__ = "olympic_event_participants"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "agent_type"],
            ["agent_metrics.project_id", "agent_metrics.agent_type"],
            ondelete="CASCADE",
        ),
        CheckConstraint("xp >= 0", name="xp_nonnegative"),
        CheckConstraint("penalty >= 0", name="penalty_nonnegative"),
        Index("idx_olympic_event_participants_agent", "project_id", "agent_type"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("olympic_events.id", ondelete="CASCADE"), primary_key=True
    )
    agent_type: Mapped[str] = mapped_column(String(50), primary_key=True)
    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    xp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    learning: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    penalty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    #: The net change applied to the agent's ``xp`` (``xp - penalty``, floored so xp >= 0).
    xp_delta: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_winner: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    agent_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
