"""``students``, ``skill_assessments`` and ``evidence`` (seed 003).

Ranges and enumerations are CHECK constraints, so a value the API would refuse cannot be
written behind its back either (on both backends). Deleting an assessment deletes its evidence
(``ON DELETE CASCADE``); deleting a student deletes its assessments.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import Uuid as SAUuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evalledger.db.base import Base, ProjectScopedMixin, TimestampMixin, UUIDMixin
from evalledger.db.types import JSONType

SKILL_TYPES = (
    "empathy",
    "problem_solving",
    "self_regulation",
    "resilience",
    "adaptability",
    "communication",
    "collaboration",
)
#: Every student should have been assessed on these (seed 003, "Student Coverage").
PRIMARY_SKILLS = ("empathy", "problem_solving", "self_regulation", "resilience")
EVIDENCE_TYPES = ("linguistic", "behavioral", "contextual")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Student(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("project_id", "external_id"),)

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONType, nullable=False, default=dict
    )


class SkillAssessment(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "skill_assessments"
    __table_args__ = (
        CheckConstraint(_in("skill_type", SKILL_TYPES), name="skill_type"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index(
            "ix_skill_assessments_student_skill_created", "student_id", "skill_type", "created_at"
        ),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(
        SAUuid, ForeignKey("students.id", ondelete="CASCADE"), nullable=False, index=True
    )
    skill_type: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    reasoning: Mapped[str | None] = mapped_column(Text, nullable=True)
    recommendations: Mapped[str | None] = mapped_column(Text, nullable=True)
    feature_importance: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)

    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="assessment",
        order_by=lambda: (Evidence.created_at, Evidence.id),
        passive_deletes=True,
        lazy="raise",
    )


class Evidence(UUIDMixin, ProjectScopedMixin, TimestampMixin, Base):
    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(_in("evidence_type", EVIDENCE_TYPES), name="evidence_type"),
        CheckConstraint("relevance_score >= 0 AND relevance_score <= 1", name="relevance_range"),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(
        SAUuid, ForeignKey("skill_assessments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    evidence_type: Mapped[str] = mapped_column(String(20), nullable=False)
    source: Mapped[str] = mapped_column(String(100), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    relevance_score: Mapped[float] = mapped_column(Float, nullable=False)

    assessment: Mapped[SkillAssessment] = relationship(back_populates="evidence", lazy="raise")
