"""result fields: tags, metadata, agent_version, metrics and token usage on a custody test result

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00.000000

Flexible fields on ``custody_test_results`` so results can be found again and compared:
``tags`` (a JSON list of short strings), ``metadata`` (a JSON object), ``agent_version``,
``metrics`` (named extra numbers) and ``input_tokens``/``output_tokens``. Rows recorded before
this revision get the defaults (no tags, empty metadata and metrics, no version or usage).

Plus the indexes of the results query: a project's newest results (``(project_id,
created_at, id)``, the keyset order of ``GET /api/v1/results``), one agent's results in that
order (the existing ``idx_custody_test_results_ai_type`` gains ``id`` as its last column, so
ties on ``created_at``, common in a batch, need no sort), one agent's versions
(``(project_id, ai_type, agent_version, created_at, id)``) and the tags (a GIN index with
``jsonb_path_ops`` on PostgreSQL for ``tags @> '["a"]'``; a plain index on SQLite, which the
model declares the same way so the two never drift).

Both dialects use ``ALTER TABLE ... ADD COLUMN`` with the default on the server (no table is
copied: on SQLite a batch-mode copy of this table would run with foreign keys on, see 0006).
The downgrade drops the indexes, then the columns (``ALTER TABLE ... DROP COLUMN``, SQLite
3.35 or newer).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "custody_test_results"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _empty(text: str) -> sa.TextClause:
    if op.get_bind().dialect.name == "postgresql":
        return sa.text(f"'{text}'::jsonb")
    return sa.text(f"'{text}'")


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("tags", _json(), nullable=False, server_default=_empty("[]")))
    op.add_column(
        TABLE, sa.Column("metadata", _json(), nullable=False, server_default=_empty("{}"))
    )
    op.add_column(TABLE, sa.Column("agent_version", sa.String(length=100), nullable=True))
    op.add_column(TABLE, sa.Column("metrics", _json(), nullable=False, server_default=_empty("{}")))
    op.add_column(TABLE, sa.Column("input_tokens", sa.BigInteger(), nullable=True))
    op.add_column(TABLE, sa.Column("output_tokens", sa.BigInteger(), nullable=True))
    # One agent's results in keyset order, ties by id included (was without id).
    op.drop_index("idx_custody_test_results_ai_type", table_name=TABLE)
    op.create_index(
        "idx_custody_test_results_ai_type",
        TABLE,
        ["project_id", "ai_type", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "idx_custody_test_results_recent", TABLE, ["project_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "idx_custody_test_results_agent_version",
        TABLE,
        ["project_id", "ai_type", "agent_version", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "idx_custody_test_results_tags",
        TABLE,
        ["tags"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"tags": "jsonb_path_ops"},
    )


def downgrade() -> None:
    for name in (
        "idx_custody_test_results_tags",
        "idx_custody_test_results_agent_version",
        "idx_custody_test_results_recent",
    ):
        op.drop_index(name, table_name=TABLE)
    op.drop_index("idx_custody_test_results_ai_type", table_name=TABLE)
    op.create_index(
        "idx_custody_test_results_ai_type",
        TABLE,
        ["project_id", "ai_type", "created_at"],
        unique=False,
    )
    for column in ("output_tokens", "input_tokens", "metrics", "agent_version", "metadata", "tags"):
        op.execute(f'ALTER TABLE {TABLE} DROP COLUMN "{column}"')
