"""evaluation runs: runs, their reported metrics, samples, per-scorer scores and sample texts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:25:41.996788

Five new tables (see :mod:`evalledger.runs.models`): ``eval_runs`` (one per imported or
recorded run, unique per project by ``(harness, external_id)``), ``eval_run_metrics`` (the
metrics as the harness reported them), ``eval_samples`` (one per sample id and epoch),
``eval_sample_scores`` (one per scorer of a sample, indexed for "the samples scorer S failed
in run R") and ``eval_sample_texts`` (the large texts, read only to show or export a sample).
Server defaults follow :mod:`evalledger.db.server_defaults`. On PostgreSQL each table gets
row-level security with the ``project_isolation`` policy of revision 0005 (the app role already
has privileges on new tables through 0005's default privileges). The downgrade drops them.
"""

import os
import re
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

from evalledger.db.server_defaults import DialectDefault, sql_for
from evalledger.db.types import UTCDateTime, utcnow

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "eval_runs",
    "eval_run_metrics",
    "eval_samples",
    "eval_sample_scores",
    "eval_sample_texts",
)
NEW_UUID = DialectDefault(*sql_for(uuid.uuid4, sa.Uuid()))
NOW = DialectDefault(*sql_for(utcnow, UTCDateTime()))
DEFAULT_PROJECT = DialectDefault(
    *sql_for(uuid.UUID("00000000-0000-0000-0000-000000000001"), sa.Uuid())
)
EMPTY_OBJECT = DialectDefault(*sql_for(dict, sa.JSON()))
EMPTY_LIST = DialectDefault(*sql_for(list, sa.JSON()))
POLICY = "project_isolation"
SETTING = "nullif(current_setting('evalledger.project_id', true), '')::uuid"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _role() -> str:
    role = context.config.attributes.get("app_role") or os.environ.get(
        "EVALLEDGER_PG_APP_ROLE", "evalledger_app"
    )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"invalid PostgreSQL role name {role!r}")
    return str(role)


def _isolate_projects() -> None:
    """Revision 0005's policy on each new table (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    role = _role()
    for table in TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON "{table}" FOR ALL TO {role} '
            f"USING (project_id = {SETTING}) WITH CHECK (project_id = {SETTING})"
        )


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("harness", sa.String(length=40), nullable=False),
        sa.Column("harness_version", sa.String(length=100), nullable=True),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("task", sa.String(length=255), nullable=False),
        sa.Column("task_version", sa.String(length=100), nullable=True),
        sa.Column("dataset_name", sa.String(length=255), nullable=True),
        sa.Column("dataset_hash", sa.String(length=128), nullable=True),
        sa.Column("model", sa.String(length=255), nullable=True),
        sa.Column("model_args", _json(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("generation_config", _json(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("solver", _json(), nullable=True),
        sa.Column("scorers", _json(), server_default=EMPTY_LIST, nullable=False),
        sa.Column("git_revision", sa.String(length=100), nullable=True),
        sa.Column("tags", _json(), server_default=EMPTY_LIST, nullable=False),
        sa.Column("metadata", _json(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'success'"), nullable=False
        ),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("source_file", sa.String(length=1000), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("agent_type", sa.String(length=100), nullable=True),
        sa.Column("agent_version", sa.String(length=100), nullable=True),
        sa.Column("sample_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=NEW_UUID, nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_runs_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")),
        sa.UniqueConstraint(
            "project_id",
            "harness",
            "external_id",
            name=op.f("uq_eval_runs_project_id_harness_external_id"),
        ),
    )
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.create_index(
            "idx_eval_runs_model", ["project_id", "model", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "idx_eval_runs_recent", ["project_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "idx_eval_runs_task", ["project_id", "task", "created_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_eval_runs_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_eval_runs_project_id"), ["project_id"], unique=False)

    op.create_table(
        "eval_run_metrics",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("scorer", sa.String(length=255), nullable=False),
        sa.Column("metric", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=NEW_UUID, nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_run_metrics_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.id"],
            name=op.f("fk_eval_run_metrics_run_id_eval_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_run_metrics")),
        sa.UniqueConstraint(
            "run_id", "scorer", "metric", name=op.f("uq_eval_run_metrics_run_id_scorer_metric")
        ),
    )
    with op.batch_alter_table("eval_run_metrics", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_run_metrics_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "eval_samples",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("sample_id", sa.String(length=255), nullable=False),
        sa.Column("epoch", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=True),
        sa.Column("output_tokens", sa.BigInteger(), nullable=True),
        sa.Column("total_time", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=NEW_UUID, nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_samples_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.id"],
            name=op.f("fk_eval_samples_run_id_eval_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_samples")),
        sa.UniqueConstraint(
            "run_id", "sample_id", "epoch", name=op.f("uq_eval_samples_run_id_sample_id_epoch")
        ),
    )
    with op.batch_alter_table("eval_samples", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_samples_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "eval_sample_scores",
        sa.Column("sample_pk", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("scorer", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("raw", _json(), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=NEW_UUID, nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_sample_scores_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.id"],
            name=op.f("fk_eval_sample_scores_run_id_eval_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_pk"],
            ["eval_samples.id"],
            name=op.f("fk_eval_sample_scores_sample_pk_eval_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_sample_scores")),
        sa.UniqueConstraint(
            "sample_pk", "scorer", name=op.f("uq_eval_sample_scores_sample_pk_scorer")
        ),
    )
    with op.batch_alter_table("eval_sample_scores", schema=None) as batch_op:
        batch_op.create_index(
            "idx_eval_sample_scores_run", ["run_id", "scorer", "passed", "value"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_eval_sample_scores_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "eval_sample_texts",
        sa.Column("sample_pk", sa.Uuid(), nullable=False),
        sa.Column("input", _json(), nullable=True),
        sa.Column("target", _json(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("messages", _json(), nullable=True),
        sa.Column("explanations", _json(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("metadata", _json(), server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_sample_texts_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sample_pk"],
            ["eval_samples.id"],
            name=op.f("fk_eval_sample_texts_sample_pk_eval_samples"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sample_pk", name=op.f("pk_eval_sample_texts")),
    )
    with op.batch_alter_table("eval_sample_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_sample_texts_project_id"), ["project_id"], unique=False
        )
    _isolate_projects()


def downgrade() -> None:
    with op.batch_alter_table("eval_sample_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_sample_texts_project_id"))

    op.drop_table("eval_sample_texts")
    with op.batch_alter_table("eval_sample_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_sample_scores_project_id"))
        batch_op.drop_index("idx_eval_sample_scores_run")

    op.drop_table("eval_sample_scores")
    with op.batch_alter_table("eval_samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_samples_project_id"))

    op.drop_table("eval_samples")
    with op.batch_alter_table("eval_run_metrics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_run_metrics_project_id"))

    op.drop_table("eval_run_metrics")
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_runs_project_id"))
        batch_op.drop_index(batch_op.f("ix_eval_runs_created_at"))
        batch_op.drop_index("idx_eval_runs_task")
        batch_op.drop_index("idx_eval_runs_recent")
        batch_op.drop_index("idx_eval_runs_model")

    op.drop_table("eval_runs")
