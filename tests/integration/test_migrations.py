"""Migrations: one tree for both dialects, reversible, and never drifting from the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from evalledger.config import load_settings
from evalledger.db import migrate
from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.errors import DatabaseNotInitialised, SchemaOutOfDate
from evalledger.sdk.ledger import Ledger
from tests.conftest import acreate_pg_database, adrop_pg_database


@pytest.fixture
async def empty_db(backend: str, tmp_path) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    """A brand-new, unmigrated database of the backend under test."""
    name = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    else:
        name = f"evalledger_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        url = await acreate_pg_database(name)
    db = Database(load_settings(database_url=url))
    try:
        yield db
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_db: Database) -> None:
    await migrate.upgrade(empty_db)
    assert await migrate.current_revision(empty_db) == migrate.head_revision()
    assert set(metadata.tables) <= await _tables(empty_db)
    await migrate.downgrade(empty_db, "base")
    assert await migrate.current_revision(empty_db) is None
    assert await _tables(empty_db) <= {"alembic_version"}
    await migrate.upgrade(empty_db)
    await migrate.ensure_current(empty_db)


async def test_models_and_migrations_do_not_drift(empty_db: Database) -> None:
    """Autogenerate against the migrated database finds nothing to do."""
    await migrate.upgrade(empty_db)

    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(ctx, metadata)

    async with empty_db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == [], f"models and migrations differ: {changes}"


async def test_empty_database_is_refused_with_init_hint(empty_db: Database) -> None:
    url = empty_db.settings.database_url
    with pytest.raises(DatabaseNotInitialised) as info:
        await Ledger.open(url)
    message = info.value.message
    assert "evalledger init" in message and "migrate_schema=True" in message
    assert "db upgrade" not in message and "\n" not in message


async def test_out_of_date_schema_is_refused_with_one_line(empty_db: Database) -> None:
    await migrate.upgrade(empty_db, "0004")
    with pytest.raises(SchemaOutOfDate) as info:
        await Ledger.open(empty_db.settings.database_url)
    message = info.value.message
    assert not isinstance(info.value, DatabaseNotInitialised)
    assert "0004" in message and migrate.head_revision() in message
    assert "take a backup" in message and "evalledger db upgrade" in message
    assert "\n" not in message


async def test_ledger_can_migrate_on_open(empty_db: Database) -> None:
    async with Ledger.open(empty_db.settings.database_url, migrate_schema=True) as ledger:
        assert await ledger.seed_default_agents() == ["imperium", "guardian", "sandbox", "conquest"]
        assert await ledger.seed_default_agents() == []  # idempotent


async def test_0006_evens_out_the_stamped_twice_rows_only(empty_db: Database) -> None:
    """Rows whose ``updated_at`` was read from the clock just before ``created_at`` get
    ``updated_at = created_at``; an older ``updated_at`` is left for ``verify`` to report."""
    await migrate.upgrade(empty_db, "0005")
    requests = metadata.tables["verification_requests"]
    created = utcnow()
    rows = {
        "bug": created - timedelta(microseconds=40),
        "real": created - timedelta(days=2),
    }
    async with empty_db.write_engine.begin() as conn:
        for request_id, updated in rows.items():
            await conn.execute(
                requests.insert().values(
                    id=uuid.uuid4(),
                    project_id=DEFAULT_PROJECT_ID,
                    request_id=request_id,
                    client_id="c",
                    content="x",
                    content_type="text",
                    frameworks=["f"],
                    status="pending",
                    priority=0,
                    created_at=created,
                    updated_at=updated,
                )
            )
    await migrate.upgrade(empty_db)
    async with empty_db.engine.connect() as conn:
        stored = {
            r.request_id: r.updated_at
            for r in await conn.execute(select(requests.c.request_id, requests.c.updated_at))
        }
    assert stored == {"bug": created, "real": rows["real"]}
