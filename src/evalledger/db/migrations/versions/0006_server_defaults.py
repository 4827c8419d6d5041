"""server defaults: every column with a Python default gets the same default on the server

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:20:00.000000

The application sets every value itself; these defaults serve rows inserted by plain SQL, as
the original systems' scripts do (``INSERT INTO agent_metrics (agent_id, agent_type) ...``,
``INSERT INTO claims (external_id, content) ...``), which failed with NOT NULL violations.
Ids are random UUIDs, timestamps the current UTC time, ``project_id`` the default project,
counters and flags the literals the models use. On SQLite the values have the application's
own storage format (a UUID as 32 hex digits, a timestamp as ``YYYY-MM-DD HH:MM:SS.ffffff``).

PostgreSQL: ``ALTER TABLE ... ALTER COLUMN ... SET DEFAULT`` (a catalog change; no row is
rewritten, row-level security is untouched).

SQLite cannot alter a column's default, and Alembic's batch mode would copy every table into a
new one, and dropping the old ``projects`` table with foreign keys on would cascade-delete
every row of every project. Instead this uses SQLite's documented procedure for "adding,
removing, or changing default values on a column" (https://sqlite.org/lang_altertable.html,
"Making Other Kinds Of Table Schema Changes"): the ``CREATE TABLE`` text in ``sqlite_master``
gets the ``DEFAULT`` clauses, under ``PRAGMA writable_schema``, with the schema version bumped,
in the migration's transaction. No data is copied, indexes and constraints stay as they are.
Each new definition is first created in a scratch in-memory database and checked to differ from
the old one in its defaults only.

Also: ``idempotency_keys.request_sha256`` (nullable), the fingerprint of the request a key
first answered, so a key re-sent with a different body is refused (409) instead of silently
answered with the first response; keys stored before this revision have none and replay as
before. And ``verification_results``/``verification_requests`` rows stamped ``updated_at``
a few microseconds before ``created_at`` (two clock readings) get ``updated_at = created_at``.

The column list is frozen here (a later migration that adds a defaulted column adds its own
server default); :mod:`evalledger.db.server_defaults` is the rule the models follow.
"""

import re
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


class Default(NamedTuple):
    postgresql: str
    sqlite: str


def number(value: str) -> Default:
    return Default(value, value)


def literal(value: str) -> Default:
    return Default(f"'{value}'", f"'{value}'")


NEW_UUID = Default(
    "gen_random_uuid()",
    "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2) "
    "|| substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) "
    "|| hex(randomblob(6)))",
)
NOW = Default("now()", "strftime('%Y-%m-%d %H:%M:%f000', 'now')")
DEFAULT_PROJECT = Default(
    "'00000000-0000-0000-0000-000000000001'::uuid", "'00000000000000000000000000000001'"
)
EMPTY_LIST = Default("'[]'::jsonb", "'[]'")
EMPTY_OBJECT = Default("'{}'::jsonb", "'{}'")
TRUE = Default("true", "1")
FALSE = Default("false", "0")
ROW = {"id": NEW_UUID, "project_id": DEFAULT_PROJECT, "created_at": NOW, "updated_at": NOW}
ROW_CREATED = {"id": NEW_UUID, "project_id": DEFAULT_PROJECT, "created_at": NOW}

DEFAULTS: dict[str, dict[str, Default]] = {
    "agent_metrics": {
        **ROW,
        "learning_score": number("0.0"),
        "success_rate": number("0.0"),
        "failure_rate": number("0.0"),
        "pass_rate": number("0.0"),
        "total_learning_cycles": number("0"),
        "learning_successes": number("0"),
        "learning_failures": number("0"),
        "xp": number("0"),
        "level": number("1"),
        "prestige": number("0"),
        "current_difficulty": literal("basic"),
        "total_tests_given": number("0"),
        "total_tests_passed": number("0"),
        "total_tests_failed": number("0"),
        "consecutive_successes": number("0"),
        "consecutive_failures": number("0"),
        "custody_level": number("1"),
        "custody_xp": number("0"),
        "adversarial_wins": number("0"),
        "epoch": number("0"),
        "learning_patterns": EMPTY_LIST,
        "improvement_suggestions": EMPTY_LIST,
        "status": literal("idle"),
        "is_active": TRUE,
        "priority": literal("medium"),
    },
    "api_keys": {"id": NEW_UUID, "created_at": NOW, "updated_at": NOW},
    "audit_log": {**ROW},
    "claims": {**ROW_CREATED},
    "consensus_decisions": {**ROW_CREATED},
    "consensus_nodes": {**ROW, "is_active": TRUE},
    "consensus_proposals": {**ROW, "status": literal("open")},
    "consensus_state": {**ROW},
    "consensus_votes": {**ROW},
    "custody_test_results": {
        **ROW,
        "passed": FALSE,
        "score": number("0.0"),
        "xp_awarded": number("0"),
        "learning_score_awarded": number("0.0"),
        "agent_epoch": number("0"),
    },
    "evidence": {**ROW},
    "evolution_agents": {**ROW},
    "evolution_generations": {**ROW},
    "evolution_metrics": {**ROW},
    "evolution_snapshots": {**ROW},
    "framework_configurations": {**ROW, "version": number("1")},
    "framework_executions": {**ROW, "status": literal("running")},
    "framework_metrics": {**ROW},
    "framework_state_checkpoints": {**ROW},
    "idempotency_keys": {"created_at": NOW},
    "model_checkpoints": {**ROW_CREATED, "is_active": FALSE},
    "olympic_event_participants": {
        "xp": number("0"),
        "learning": number("0.0"),
        "penalty": number("0"),
        "xp_delta": number("0"),
        "is_winner": FALSE,
        "agent_epoch": number("0"),
    },
    "olympic_events": {**ROW},
    "power_events": {**ROW},
    "power_metrics": {**ROW},
    "power_nodes": {**ROW, "power": number("0.0")},
    "power_relations": {**ROW},
    "projects": {"id": NEW_UUID, "created_at": NOW, "updated_at": NOW},
    "service_health": {**ROW_CREATED},
    "skill_assessments": {**ROW},
    "students": {**ROW, "metadata": EMPTY_OBJECT},
    "training_data": {**ROW_CREATED, "used_in_training": FALSE},
    "verification_requests": {
        **ROW,
        "content_type": literal("text"),
        "status": literal("pending"),
        "priority": number("0"),
    },
    "verification_results": {**ROW},
}


#: Tables whose ``updated_at`` was stamped before ``created_at`` (two clock readings, the
#: first for ``updated_at``); the rows get ``updated_at = created_at``.
STAMPED_TWICE = ("verification_results", "verification_requests")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in DEFAULTS.items():
            clauses = [f'ALTER COLUMN "{c}" SET DEFAULT {d.postgresql}' for c, d in columns.items()]
            op.execute(f'ALTER TABLE "{table}" ' + ", ".join(clauses))
        within_a_second = "created_at - updated_at < interval '1 second'"
    else:
        _rewrite_sqlite_tables(add=True)
        within_a_second = "(julianday(created_at) - julianday(updated_at)) * 86400 < 1"
    # Only the bug's microseconds: an older updated_at is a real problem `verify` reports.
    for table in STAMPED_TWICE:
        op.execute(
            f"UPDATE {table} SET updated_at = created_at "
            f"WHERE updated_at < created_at AND {within_a_second}"
        )
    op.add_column("idempotency_keys", sa.Column("request_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    # First: SQLite's ADD COLUMN wrote the column onto the created_at line; dropping it
    # recreates the table with one column per line again (the idempotency keys have no
    # foreign keys, so the copy cascades nowhere).
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.drop_column("request_sha256")
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in DEFAULTS.items():
            clauses = [f'ALTER COLUMN "{c}" DROP DEFAULT' for c in columns]
            op.execute(f'ALTER TABLE "{table}" ' + ", ".join(clauses))
    else:
        _rewrite_sqlite_tables(add=False)


def _sqlite_default_clause(sql: str) -> str:
    # SQLite needs an expression default in parentheses; a literal stands alone.
    return f" DEFAULT {sql}" if re.fullmatch(r"'[^']*'|[0-9.]+", sql) else f" DEFAULT ({sql})"


def _column_line(table: str, column: str) -> re.Pattern[str]:
    # SQLAlchemy writes one column per line: "\t<name> <TYPE>[ NOT NULL], "
    return re.compile(rf'^(\t"?{re.escape(column)}"? [^\n]*?)((?: NOT NULL)?, ?)$', re.MULTILINE)


def _with_defaults(table: str, create_sql: str, add: bool) -> str:
    out = create_sql
    for column, default in DEFAULTS[table].items():
        clause = _sqlite_default_clause(default.sqlite)
        pattern = _column_line(table, column)
        match = pattern.search(out)
        if match is None:
            raise RuntimeError(f"0006: column {table}.{column} not found in its CREATE TABLE")
        head, tail = match.group(1), match.group(2)
        if add:
            if " DEFAULT " in head:
                raise RuntimeError(f"0006: {table}.{column} already has a default")
            line = head + clause + tail
        else:
            if not head.endswith(clause):
                raise RuntimeError(f"0006: {table}.{column} does not have the default 0006 set")
            line = head[: -len(clause)] + tail
        out = out[: match.start()] + line + out[match.end() :]
    return out


def _check_only_defaults_differ(table: str, old_sql: str, new_sql: str, add: bool) -> None:
    """Create both definitions in a scratch database: same columns, types, keys and
    constraints; only the defaults of the listed columns differ."""
    scratch = sqlite3.connect(":memory:")
    try:
        infos = []
        for sql in (old_sql, new_sql):
            scratch.execute(f'DROP TABLE IF EXISTS "{table}"')
            scratch.execute(sql)
            infos.append(scratch.execute(f'PRAGMA table_xinfo("{table}")').fetchall())
    finally:
        scratch.close()
    old, new = infos
    listed = DEFAULTS[table]
    same_columns = [r[:4] + r[5:] for r in old] == [r[:4] + r[5:] for r in new]
    # Constraints live in the text: every line other than the changed columns is unchanged.
    same_lines = len(old_sql.splitlines()) == len(new_sql.splitlines())
    for before, after in zip(old, new, strict=True):
        name, dflt_before, dflt_after = before[1], before[4], after[4]
        if name in listed:
            expected = (dflt_after is not None) is add and (dflt_before is None) is add
        else:
            expected = dflt_before == dflt_after
        same_columns = same_columns and expected
    if not (same_columns and same_lines):
        raise RuntimeError(f"0006: the new definition of {table} changes more than defaults")


def _rewrite_sqlite_tables(add: bool) -> None:
    bind = op.get_bind()
    current = {
        name: sql
        for name, sql in bind.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        )
    }
    rewritten = {}
    for table in DEFAULTS:
        new_sql = _with_defaults(table, current[table], add)
        _check_only_defaults_differ(table, current[table], new_sql, add)
        rewritten[table] = new_sql
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table, sql in rewritten.items():
            bind.execute(
                sa.text(
                    "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"
                ),
                {"sql": sql, "name": table},
            )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    # The connection re-reads the schema: every listed column now has (or lacks) a default.
    for table, columns in DEFAULTS.items():
        info = bind.exec_driver_sql(f'PRAGMA table_xinfo("{table}")').fetchall()
        defaulted = {row[1] for row in info if row[4] is not None}
        if (set(columns) <= defaulted) is not add or (not add and set(columns) & defaulted):
            raise RuntimeError(f"0006: the defaults of {table} did not change as planned")
