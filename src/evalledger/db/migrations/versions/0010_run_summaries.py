"""run summaries: a run's per-scorer statistics stored once; failed samples by index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:00:00.000000

``evalledger runs show`` computed each scorer's statistics from every sample of the run on
every call, and ``runs samples --failed`` walked the run's samples in order until it had a page
of failures (bench/runs_at_scale.py, docs/benchmarks.md). A run's samples never change once
written, so:

* ``eval_run_summaries`` holds, per (run, scorer), the inputs of the mean and its interval
  (counts, the sum and sum of squares of the per-sample means...), written when the run is;
  existing runs get theirs here, computed from their stored scores. Row-level security as in
  revision 0005 on PostgreSQL.
* ``eval_sample_scores`` repeats its sample's ``sample_id`` and ``epoch`` (filled here from
  ``eval_samples``), and the index ``idx_eval_sample_scores_page`` on
  ``(run_id, scorer, passed, sample_id, epoch)`` replaces ``idx_eval_sample_scores_run``
  (``(run_id, scorer, passed, value)``, whose prefix served the same scans): the samples a
  scorer failed, in page order, are one index range however few they are.

Both dialects; the downgrade restores 0009's schema.
"""

import os
import re
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from evalledger.db.server_defaults import DialectDefault, sql_for

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCORES = "eval_sample_scores"
SUMMARIES = "eval_run_summaries"
POLICY = "project_isolation"
DEFAULT_PROJECT = DialectDefault(
    *sql_for(uuid.UUID("00000000-0000-0000-0000-000000000001"), sa.Uuid())
)
SETTING = "nullif(current_setting('evalledger.project_id', true), '')::uuid"

FILL_KEYS = f"""
UPDATE {SCORES} SET
    sample_id = (SELECT s.sample_id FROM eval_samples s WHERE s.id = {SCORES}.sample_pk),
    epoch = (SELECT s.epoch FROM eval_samples s WHERE s.id = {SCORES}.sample_pk)
"""
# The statement of evalledger.runs.repository.summary_rows as of this revision, over every run.
FILL_SUMMARIES = f"""
INSERT INTO {SUMMARIES} (project_id, run_id, scorer, samples, scored, passed, clusters, total,
                         total_squares, successes, multi_epoch, non_binary)
SELECT project_id, run_id, scorer, SUM(epochs), SUM(scored), SUM(passed),
       SUM(CASE WHEN scored > 0 THEN 1 ELSE 0 END), SUM(mean), SUM(mean * mean),
       SUM(CASE WHEN scored > 0 AND mean = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN scored > 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN scored > 0 AND zero_one <> scored THEN 1 ELSE 0 END)
FROM (SELECT project_id, run_id, scorer, COUNT(*) AS epochs, COUNT(value) AS scored,
             AVG(value) AS mean, SUM(CASE WHEN passed THEN 1 ELSE 0 END) AS passed,
             SUM(CASE WHEN value = 0 OR value = 1 THEN 1 ELSE 0 END) AS zero_one
      FROM {SCORES} GROUP BY project_id, run_id, scorer, sample_id) AS per_sample
GROUP BY project_id, run_id, scorer
"""


def _role() -> str:
    role = context.config.attributes.get("app_role") or os.environ.get(
        "EVALLEDGER_PG_APP_ROLE", "evalledger_app"
    )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"invalid PostgreSQL role name {role!r}")
    return str(role)


def upgrade() -> None:
    op.create_table(
        SUMMARIES,
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("scorer", sa.String(length=255), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("clusters", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("total_squares", sa.Float(), nullable=True),
        sa.Column("successes", sa.Integer(), nullable=False),
        sa.Column("multi_epoch", sa.Integer(), nullable=False),
        sa.Column("non_binary", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Uuid(), server_default=DEFAULT_PROJECT, nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_eval_run_summaries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["eval_runs.id"],
            name=op.f("fk_eval_run_summaries_run_id_eval_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "scorer", name=op.f("pk_eval_run_summaries")),
    )
    op.create_index(
        op.f("ix_eval_run_summaries_project_id"), SUMMARIES, ["project_id"], unique=False
    )
    with op.batch_alter_table(SCORES, schema=None) as batch_op:
        batch_op.add_column(sa.Column("sample_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("epoch", sa.Integer(), nullable=True))
    op.execute(FILL_KEYS)
    with op.batch_alter_table(SCORES, schema=None) as batch_op:
        batch_op.alter_column("sample_id", existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column("epoch", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("idx_eval_sample_scores_run")
        batch_op.create_index(
            "idx_eval_sample_scores_page", ["run_id", "scorer", "passed", "sample_id", "epoch"]
        )
    op.execute(FILL_SUMMARIES)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE "{SUMMARIES}" ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY {POLICY} ON "{SUMMARIES}" FOR ALL TO {_role()} '
            f"USING (project_id = {SETTING}) WITH CHECK (project_id = {SETTING})"
        )


def downgrade() -> None:
    with op.batch_alter_table(SCORES, schema=None) as batch_op:
        batch_op.drop_index("idx_eval_sample_scores_page")
        batch_op.create_index(
            "idx_eval_sample_scores_run", ["run_id", "scorer", "passed", "value"], unique=False
        )
        batch_op.drop_column("epoch")
        batch_op.drop_column("sample_id")
    op.drop_index(op.f("ix_eval_run_summaries_project_id"), table_name=SUMMARIES)
    op.drop_table(SUMMARIES)
