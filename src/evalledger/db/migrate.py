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
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from evalledger.db import failures
from evalledger.db.engine import Database
from evalledger.errors import DatabaseNotInitialised, EvalLedgerError, SchemaOutOfDate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class MigrationError(EvalLedgerError):
    """Alembic refused the request (an unknown revision, a downgrade below base, ...)."""

    status = 400


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


async def _run_command(db: Database, fn: Any, *args: Any, **kwargs: Any) -> Any:
    def _go(conn: Connection) -> Any:
        cfg = alembic_config(conn)
        cfg.attributes["app_role"] = db.settings.pg_app_role  # 0005: row-level security
        try:
            return fn(cfg, *args, **kwargs)
        except CommandError as exc:
            raise MigrationError(f"alembic: {exc}") from None

    async with db.write_connection() as conn:
        return await conn.run_sync(_go)


async def upgrade(db: Database, revision: str = "heads") -> None:
    await _run_command(db, command.upgrade, revision)


async def downgrade(db: Database, revision: str) -> None:
    await _run_command(db, command.downgrade, revision)


def next_revision_id() -> str:
    """The id the next migration gets: the highest numbered revision plus one (``0007``).

    Revisions are numbered so that the files sort in the order they apply; Alembic's own
    default is a random hex id.
    """
    script = ScriptDirectory.from_config(alembic_config())
    numbers = [int(rev.revision) for rev in script.walk_revisions() if rev.revision.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


async def revision(db: Database, message: str, *, autogenerate: bool) -> Path:
    """Write a new migration file; with ``autogenerate`` its operations are the difference
    between the models and the database (which must be at the head). Returns its path."""
    if autogenerate:
        await ensure_current(db)
        scripts = await _run_command(
            db, command.revision, message=message, autogenerate=True, rev_id=next_revision_id()
        )
    else:
        try:
            scripts = command.revision(alembic_config(), message=message, rev_id=next_revision_id())
        except CommandError as exc:
            raise MigrationError(f"alembic: {exc}") from None
    script = scripts[0] if isinstance(scripts, list) else scripts
    assert script is not None and script.path is not None
    return Path(script.path)


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
