"""Seed 004's consensus tables: nodes, proposals, votes (one per node per proposal), state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, NamedMixin, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime

PROPOSAL_STATUSES = ("open", "decided", "no_consensus")


class ConsensusNode(UUIDMixin, ProjectScopedMixin, NamedMixin, TimestampMixin, Base):
    __tablename__ = "consensus_nodes"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, nullable=True)


class ConsensusProposal(UUIDMixin, ProjectScopedMixin, NamedMixin, TimestampMixin, Base):
    __tablename__ = "consensus_proposals"
    __table_args__ = (
        CheckConstraint("quorum >= 1", name="quorum_positive"),
        CheckConstraint("status IN ('open', 'decided', 'no_consensus')", name="status"),
        Index("idx_consensus_proposals_status", "project_id", "status"),
    )

    choices: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    quorum: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    outcome: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsensusVote(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "consensus_votes"
    __table_args__ = (UniqueConstraint("proposal_id", "node_id"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("consensus_proposals.id", ondelete="CASCADE"), nullable=False
    )
    node_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("consensus_nodes.id", ondelete="CASCADE"), nullable=False, index=True
    )
    choice: Mapped[str] = mapped_column(String(100), nullable=False)


class ConsensusState(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    """The current tally of one proposal (rewritten on every vote and on close)."""

    __tablename__ = "consensus_state"
    __table_args__ = (UniqueConstraint("proposal_id"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("consensus_proposals.id", ondelete="CASCADE"), nullable=False
    )
    counts: Mapped[dict[str, int]] = mapped_column(JSONType, nullable=False)
    total_votes: Mapped[int] = mapped_column(Integer, nullable=False)
    winner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    quorum_reached: Mapped[bool] = mapped_column(Boolean, nullable=False)
    decided: Mapped[bool] = mapped_column(Boolean, nullable=False)
