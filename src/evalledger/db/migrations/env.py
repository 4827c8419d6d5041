"""Alembic environment: one migration tree for SQLite and PostgreSQL.

Migrations run on a connection handed in by :mod:`evalledger.db.migrate` (so the CLI, the
server and the tests all migrate through the same engine settings), or, when invoked by the
plain ``alembic`` command, on an engine built from ``EVALLEDGER_DATABASE_URL``. All pending
migrations run in one transaction: both backends have transactional DDL, so a failure leaves
the database at its old revision rather than half-migrated.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from evalledger.db.registry import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        compare_server_default=True,
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
        asyncio.run(_run_standalone())


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
run_migrations_online()
