"""Seed 002's verification tables (plus seed 004's ``verification_requests``), per project.

Column names, types and constraints follow the seed's SQL. Deviations, all deliberate:

* every table carries ``project_id``; the seed's global UNIQUE constraints become unique per
  project, and composite indexes lead with ``project_id`` (every query is project-scoped);
* the seed's ``DESC`` single-column indexes are plain B-tree indexes (PostgreSQL and SQLite
  both scan a B-tree backwards, so ``ORDER BY created_at DESC`` uses them just the same);
* the two ``idx_created_at`` of the seed are named per table (index names are per schema);
* on PostgreSQL ``verification_results.result``/``evidence`` get GIN indexes and
  ``verification_results.created_at`` a BRIN index; SQLite gets plain indexes instead;
* "at most one active checkpoint per model and framework" is two partial unique indexes
  (``framework`` may be NULL, and NULLs never collide in a unique index).
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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime, row_stamp, utcnow

REQUEST_STATUSES = ("pending", "processing", "completed", "failed")


class CreatedAtMixin:
    """``created_at`` only (the seed's tables that are never updated in place)."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=row_stamp, nullable=False)


class UpdatedAtMixin(CreatedAtMixin):
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=row_stamp, onupdate=utcnow, nullable=False
    )


class Claim(UUIDMixin, ProjectScopedMixin, CreatedAtMixin, Base):
    __tablename__ = "claims"
    __table_args__ = (
        UniqueConstraint("project_id", "external_id"),
        Index("idx_claim_type", "claim_type"),
        Index("idx_claims_created_at", "created_at"),
    )

    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    claim_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, nullable=True)


class VerificationResult(UUIDMixin, ProjectScopedMixin, UpdatedAtMixin, Base):
    __tablename__ = "verification_results"
    __table_args__ = (
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("idx_claim_framework", "project_id", "claim_id", "framework"),
        Index("idx_verification_results_created_at", "created_at", postgresql_using="brin"),
        Index("idx_verification_results_result", "result", postgresql_using="gin"),
        Index("idx_verification_results_evidence", "evidence", postgresql_using="gin"),
    )

    #: The claim's ``external_id`` (a string, as in the seed; not a foreign key).
    claim_id: Mapped[str] = mapped_column(String(255), nullable=False)
    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    processing_time_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    model_version: Mapped[str | None] = mapped_column(String(50), nullable=True)


class ConsensusDecision(UUIDMixin, ProjectScopedMixin, CreatedAtMixin, Base):
    """One decision per claim; recomputing replaces it (``created_at`` = when decided)."""

    __tablename__ = "consensus_decisions"
    __table_args__ = (
        UniqueConstraint("project_id", "claim_id"),
        Index("idx_consensus_created", "created_at"),
    )

    claim_id: Mapped[str] = mapped_column(String(255), nullable=False)
    consensus_result: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    participating_frameworks: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    consensus_type: Mapped[str] = mapped_column(String(50), nullable=False)
    consensus_confidence: Mapped[float] = mapped_column(Float, nullable=False)
    decision_time_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TrainingData(UUIDMixin, ProjectScopedMixin, CreatedAtMixin, Base):
    __tablename__ = "training_data"
    __table_args__ = (
        Index("idx_framework_batch", "project_id", "framework", "training_batch_id"),
        Index("idx_training_status", "project_id", "used_in_training", "framework"),
    )

    framework: Mapped[str] = mapped_column(String(50), nullable=False)
    claim_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("claims.id", ondelete="SET NULL"), nullable=True
    )
    claim_text: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[Any] = mapped_column(JSONType, nullable=False)
    validity: Mapped[bool] = mapped_column(Boolean, nullable=False)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, nullable=True)
    used_in_training: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    training_batch_id: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ModelCheckpoint(UUIDMixin, ProjectScopedMixin, CreatedAtMixin, Base):
    __tablename__ = "model_checkpoints"
    __table_args__ = (
        UniqueConstraint("project_id", "model_name", "version"),
        Index("idx_active_models", "project_id", "is_active", "framework"),
        # The database's guarantee of "at most one active checkpoint per model and framework".
        Index(
            "uq_model_checkpoints_one_active",
            "project_id",
            "model_name",
            "framework",
            unique=True,
            postgresql_where=text("is_active AND framework IS NOT NULL"),
            sqlite_where=text("is_active AND framework IS NOT NULL"),
        ),
        Index(
            "uq_model_checkpoints_one_active_no_framework",
            "project_id",
            "model_name",
            unique=True,
            postgresql_where=text("is_active AND framework IS NULL"),
            sqlite_where=text("is_active AND framework IS NULL"),
        ),
    )

    model_name: Mapped[str] = mapped_column(String(255), nullable=False)
    framework: Mapped[str | None] = mapped_column(String(50), nullable=True)
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    checkpoint_path: Mapped[str] = mapped_column(Text, nullable=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
    training_config: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ServiceHealth(UUIDMixin, ProjectScopedMixin, CreatedAtMixin, Base):
    __tablename__ = "service_health"
    __table_args__ = (
        UniqueConstraint("project_id", "service_name", "instance_id"),
        Index("idx_service_heartbeat", "project_id", "service_name", "last_heartbeat"),
    )

    service_name: Mapped[str] = mapped_column(String(50), nullable=False)
    instance_id: Mapped[str] = mapped_column(String(255), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    last_heartbeat: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    metadata_: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSONType, nullable=True)


class VerificationRequest(UUIDMixin, ProjectScopedMixin, UpdatedAtMixin, Base):
    """Seed 004: a client's request to verify content with some frameworks."""

    __tablename__ = "verification_requests"
    __table_args__ = (
        UniqueConstraint("project_id", "request_id"),
        CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')", name="status"
        ),
        Index("idx_verification_requests_queue", "project_id", "status", "priority"),
        Index("idx_verification_requests_created_at", "created_at"),
    )

    request_id: Mapped[str] = mapped_column(String(255), nullable=False)
    client_id: Mapped[str] = mapped_column(String(255), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    content_type: Mapped[str] = mapped_column(String(50), nullable=False, default="text")
    frameworks: Mapped[list[str]] = mapped_column(JSONType, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
