"""``agent_metrics`` (seed 001) and ``custody_test_results`` (seed 000).

``agent_metrics.test_history`` is deliberately not a column: the seed kept a JSON copy of
recent results inside the agent row, which both raced under concurrency and duplicated the
results table. The API's ``test_history`` is read from ``custody_test_results`` instead.

``epoch`` counts resets: a reset zeroes an agent's counters and bumps its epoch, results keep
the epoch they were counted in, so counters always equal the sum of the current epoch's
results (what ``evalledger verify`` checks) while no result is ever deleted.

A result's flexible fields (``tags``, ``metadata``, ``agent_version``, ``metrics``, token
usage; migration 0007) are what the results query filters and the comparison groups by
(:mod:`evalledger.agents.results_query`); the derived agent metrics ignore them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType, UTCDateTime


class AgentMetrics(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "agent_metrics"
    __table_args__ = (
        UniqueConstraint("project_id", "agent_type"),
        CheckConstraint("xp >= 0", name="xp_nonnegative"),
        CheckConstraint("custody_xp >= 0", name="custody_xp_nonnegative"),
        CheckConstraint(
            "total_tests_given = total_tests_passed + total_tests_failed", name="tests_add_up"
        ),
    )

    agent_id: Mapped[str] = mapped_column(String(100), nullable=False)
    agent_type: Mapped[str] = mapped_column(String(50), nullable=False)

    # Learning metrics
    learning_score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    success_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    failure_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    pass_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    total_learning_cycles: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    learning_successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    learning_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    # Level and XP
    xp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    level: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    prestige: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    # Custody protocol metrics
    current_difficulty: Mapped[str] = mapped_column(String(20), nullable=False, default="basic")
    total_tests_given: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_tests_passed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_tests_failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    consecutive_successes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_test_date: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    custody_level: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    custody_xp: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    adversarial_wins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    # Learning patterns and suggestions (bounded lists)
    learning_patterns: Mapped[list[Any]] = mapped_column(JSONType, nullable=False, default=list)
    improvement_suggestions: Mapped[list[Any]] = mapped_column(
        JSONType, nullable=False, default=list
    )

    # Status and metadata
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="idle")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    priority: Mapped[str] = mapped_column(String(20), nullable=False, default="medium")
    capabilities: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class CustodyTestResult(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "custody_test_results"
    __table_args__ = (
        ForeignKeyConstraint(
            ["project_id", "ai_type"],
            ["agent_metrics.project_id", "agent_metrics.agent_type"],
            ondelete="CASCADE",
        ),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint("xp_awarded >= 0", name="xp_awarded_nonnegative"),
        # ``id`` last (migration 0007): one agent's keyset pages, ``(created_at, id)``, and
        # its ``test_history`` are read straight off the index, ties included.
        Index("idx_custody_test_results_ai_type", "project_id", "ai_type", "created_at", "id"),
        Index("idx_custody_test_results_test_type", "test_type"),
        # The results query (migration 0007): newest-first pages of a project, of one
        # agent's versions, and containment (``tags @> [...]``) on PostgreSQL.
        Index("idx_custody_test_results_recent", "project_id", "created_at", "id"),
        Index(
            "idx_custody_test_results_agent_version",
            "project_id",
            "ai_type",
            "agent_version",
            "created_at",
            "id",
        ),
        # Sorted by score (migration 0009): a project's, or one agent's, best or worst first.
        Index("idx_custody_test_results_score", "project_id", "score", "created_at", "id"),
        Index(
            "idx_custody_test_results_agent_score",
            "project_id",
            "ai_type",
            "score",
            "created_at",
            "id",
        ),
        Index(
            "idx_custody_test_results_tags",
            "tags",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        ),
    )

    ai_type: Mapped[str] = mapped_column(String(50), nullable=False)
    test_id: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    test_category: Mapped[str] = mapped_column(String(50), nullable=False)
    test_difficulty: Mapped[str] = mapped_column(String(20), nullable=False)
    test_type: Mapped[str] = mapped_column(String(50), nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    xp_awarded: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    learning_score_awarded: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    tested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    agent_epoch: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ai_responses: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    explainability_data: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    evaluation: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    # Olympus treaty results (test_type "olympus") carry these three as well.
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    scenario: Mapped[str | None] = mapped_column(Text, nullable=True)
    ai_response: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Flexible fields (migration 0007): what produced the result and what else was measured.
    tags: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONType, nullable=False, default=dict
    )
    agent_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    metrics: Mapped[dict[str, float]] = mapped_column(JSONType, nullable=False, default=dict)
    input_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
