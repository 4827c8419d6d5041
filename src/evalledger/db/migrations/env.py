"""Alembic environment: one migration tree for SQLite and PostgreSQL.

Migrations run on a connection handed in by :mod:`evalledger.db.migrate` (so the CLI, the
server and the tests all migrate through the same engine settings), or, when invoked by the
plain ``alembic`` command (``alembic.ini`` at the repository root), on an engine built from
``EVALLEDGER_DATABASE_URL``, like every other entry point. All pending
migrations run in one transaction: both backends have transactional DDL, so a failure leaves
the database at its old revision rather than half-migrated.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.operations import MigrationScript
from sqlalchemy.engine import Connection

from evalledger.db.registry import metadata

config = context.config


def _number_revision(_context: Any, _revision: Any, directives: list[MigrationScript]) -> None:
    """``alembic revision --autogenerate`` numbers new migrations like the others (``0007``)
    instead of a random hex id, unless ``--rev-id`` was given."""
    from evalledger.db.migrate import next_revision_id

    given = getattr(config.cmd_opts, "rev_id", None) if config.cmd_opts is not None else None
    if directives and not given and not str(directives[0].rev_id).isdigit():
        directives[0].rev_id = next_revision_id()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        compare_server_default=True,
        process_revision_directives=_number_revision,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    from evalledger.config import get_settings
    from evalledger.db.engine import Database

    db = Database(get_settings())
    try:
        async with db.write_engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await db.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        if config.config_file_name is not None:
            fileConfig(config.config_file_name, disable_existing_loggers=False)
        asyncio.run(_run_standalone())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
