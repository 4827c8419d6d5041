"""assessments: students, skill_assessments, evidence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:31:44.481532
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import evalledger.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", evalledger.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", evalledger.db.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "students",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("metadata", JSON, nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_students_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        sa.UniqueConstraint(
            "project_id", "external_id", name=op.f("uq_students_project_id_external_id")
        ),
    )
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_students_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_students_project_id"), ["project_id"], unique=False)

    op.create_table(
        "skill_assessments",
        sa.Column("student_id", sa.Uuid(), nullable=False),
        sa.Column("skill_type", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("recommendations", sa.Text(), nullable=True),
        sa.Column("feature_importance", JSON, nullable=True),
        *_stamps(),
        sa.CheckConstraint(
            "skill_type IN ('empathy', 'problem_solving', 'self_regulation', 'resilience', "
            "'adaptability', 'communication', 'collaboration')",
            name=op.f("ck_skill_assessments_skill_type"),
        ),
        sa.CheckConstraint(
            "confidence >= 0 AND confidence <= 1",
            name=op.f("ck_skill_assessments_confidence_range"),
        ),
        sa.CheckConstraint(
            "score >= 0 AND score <= 1", name=op.f("ck_skill_assessments_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_skill_assessments_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_skill_assessments_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skill_assessments")),
    )
    with op.batch_alter_table("skill_assessments", schema=None) as batch_op:
        for column in ("created_at", "project_id", "skill_type", "student_id"):
            batch_op.create_index(
                batch_op.f(f"ix_skill_assessments_{column}"), [column], unique=False
            )
        batch_op.create_index(
            "ix_skill_assessments_student_skill_created",
            ["student_id", "skill_type", "created_at"],
            unique=False,
        )

    op.create_table(
        "evidence",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("evidence_type", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("relevance_score", sa.Float(), nullable=False),
        *_stamps(),
        sa.CheckConstraint(
            "evidence_type IN ('linguistic', 'behavioral', 'contextual')",
            name=op.f("ck_evidence_evidence_type"),
        ),
        sa.CheckConstraint(
            "relevance_score >= 0 AND relevance_score <= 1",
            name=op.f("ck_evidence_relevance_range"),
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["skill_assessments.id"],
            name=op.f("fk_evidence_assessment_id_skill_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_evidence_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        for column in ("assessment_id", "created_at", "project_id"):
            batch_op.create_index(batch_op.f(f"ix_evidence_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("evidence")
    op.drop_table("skill_assessments")
    op.drop_table("students")
