"""results by score: indexes for the results query sorted by score

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 13:15:00.000000

``GET /api/v1/results?sort=score`` (and ``evalledger results list --sort score``) orders by
``(score, created_at, id)``. Without an index in that order PostgreSQL sorted every result of
the agent: 382 ms for one agent's first page at 10,000,000 results (bench/results_at_scale.py,
docs/benchmarks.md). Two indexes serve it, for the project and for one agent:
``(project_id, score, created_at, id)`` and ``(project_id, ai_type, score, created_at, id)``.
Both dialects; the downgrade drops them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "custody_test_results"


def upgrade() -> None:
    op.create_index(
        "idx_custody_test_results_score", TABLE, ["project_id", "score", "created_at", "id"]
    )
    op.create_index(
        "idx_custody_test_results_agent_score",
        TABLE,
        ["project_id", "ai_type", "score", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("idx_custody_test_results_agent_score", table_name=TABLE)
    op.drop_index("idx_custody_test_results_score", table_name=TABLE)
