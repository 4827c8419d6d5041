"""Schema migrations, driven programmatically through Alembic's API.

Used by ``evalledger db ...``, ``evalledger init``, the server's start-up check and the tests,
so every entry point migrates and checks the schema the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from evalledger.db import failures
from evalledger.db.engine import Database
from evalledger.errors import DatabaseNotInitialised, SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The head revision (several heads, while branches are unmerged, joined by commas)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads, "migration tree has no head"
    return ",".join(sorted(heads))


def history() -> list[tuple[str, str | None, str]]:
    """``(revision, down_revision, message)`` from newest to oldest."""
    script = ScriptDirectory.from_config(alembic_config())
    out = []
    for rev in script.walk_revisions():
        down = rev.down_revision if isinstance(rev.down_revision, str) else None
        out.append((rev.revision, down, rev.doc or ""))
    return out


async def current_revision(db: Database) -> str | None:
    def _current(conn: Connection) -> str | None:
        heads = MigrationContext.configure(conn).get_current_heads()
        return ",".join(sorted(heads)) if heads else None

    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def _run_command(db: Database, fn: Any, *args: Any) -> None:
    def _go(conn: Connection) -> None:
        cfg = alembic_config(conn)
        cfg.attributes["app_role"] = db.settings.pg_app_role  # 0005: row-level security
        fn(cfg, *args)

    async with db.write_connection() as conn:
        await conn.run_sync(_go)


async def upgrade(db: Database, revision: str = "heads") -> None:
    await _run_command(db, command.upgrade, revision)


async def downgrade(db: Database, revision: str) -> None:
    await _run_command(db, command.downgrade, revision)


async def ensure_current(db: Database) -> None:
    """Refuse to run on a schema that is not at head, with one actionable line.

    An empty database (or a SQLite file that does not exist, which is not created here) needs
    ``evalledger init``; an older schema needs a backup and ``evalledger db upgrade``.
    """
    failures.check_sqlite_file(db.settings.database_url)
    current = await current_revision(db)
    head = head_revision()
    if current is None:
        where = failures.describe(db.settings.database_url)
        raise DatabaseNotInitialised(
            f"{where} has no evalledger schema (never initialised): {failures.INIT_HINT}"
        )
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at revision {current}, this evalledger needs {head}: "
            "take a backup, then run `evalledger db upgrade`"
        )
