"""Shared fixtures: every database test runs once on SQLite and once on PostgreSQL.

``EVALLEDGER_TEST_BACKENDS`` (default ``sqlite,postgres``) picks the backends;
``EVALLEDGER_TEST_PG_URL`` names the PostgreSQL server (default: local, trust auth). If
PostgreSQL is asked for and cannot be reached, the PostgreSQL tests fail rather than skip:
a green run must mean both halves ran.

Each backend's database is created and migrated once per session (through the real
migrations); each test starts from empty tables plus the default project.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evalledger.api.app import create_app
from evalledger.config import Settings, load_settings
from evalledger.db import migrate
from evalledger.db.base import DEFAULT_PROJECT_ID, DEFAULT_PROJECT_NAME
from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork

BACKENDS = [
    b.strip() for b in os.environ.get("EVALLEDGER_TEST_BACKENDS", "sqlite,postgres").split(",")
]
PG_SERVER_URL = os.environ.get(
    "EVALLEDGER_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_SERVER_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database or "postgres",
        timeout=10,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url_for(database: str) -> str:
    return make_url(PG_SERVER_URL).set(database=database).render_as_string(hide_password=False)


async def acreate_pg_database(name: str) -> str:
    """Create (or re-create) a PostgreSQL database for a test; returns its URL."""
    try:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL at {make_url(PG_SERVER_URL).render_as_string(hide_password=True)} "
            f"is not usable ({exc}); start it or set EVALLEDGER_TEST_BACKENDS=sqlite",
            pytrace=False,
        )
    return pg_url_for(name)


async def adrop_pg_database(name: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_pg_database(name: str) -> str:
    return asyncio.run(acreate_pg_database(name))


def drop_pg_database(name: str) -> None:
    asyncio.run(adrop_pg_database(name))


def _migrate(url: str) -> None:
    async def go() -> None:
        db = Database(load_settings(database_url=url))
        try:
            await migrate.upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    created_pg: list[str] = []
    try:
        for backend in BACKENDS:
            if backend == "sqlite":
                path = tmp_path_factory.mktemp("sqlite") / "ledger.db"
                urls["sqlite"] = f"sqlite+aiosqlite:///{path}"
            elif backend == "postgres":
                name = f"evalledger_test_{os.getpid()}"
                urls["postgres"] = create_pg_database(name)
                created_pg.append(name)
            else:
                raise pytest.UsageError(f"unknown backend {backend!r}")
            _migrate(urls[backend])
        yield urls
    finally:
        for name in created_pg:
            drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, database_urls: dict[str, str], tmp_path: object) -> Settings:
    # PostgreSQL runs with row-level security on: the policies are a second wall that every
    # test exercises (a query that forgot its project filter would fail here first).
    return load_settings(
        database_url=database_urls[backend],
        pool_size=30,
        max_overflow=30,
        exports_dir=tmp_path,
        pg_row_security=True,
    )


async def reset_tables(db: Database) -> None:
    """Empty every table (the schema stays), then restore the default project."""
    tables = [t for t in reversed(metadata.sorted_tables)]
    async with db.write_engine.begin() as conn:
        if db.is_postgres:
            names = ", ".join(f'"{t.name}"' for t in tables)
            await conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                await conn.execute(table.delete())
        now = utcnow()
        await conn.execute(
            metadata.tables["projects"]
            .insert()
            .values(
                id=DEFAULT_PROJECT_ID, name=DEFAULT_PROJECT_NAME, created_at=now, updated_at=now
            )
        )


@pytest.fixture
async def ledger(settings: Settings) -> AsyncIterator[Ledger]:
    led = await Ledger.open(settings=settings)
    await reset_tables(led.db)
    try:
        yield led
    finally:
        await led.close()


@pytest.fixture
async def seeded(ledger: Ledger) -> Ledger:
    """The ledger with the four default agents."""
    await ledger.seed_default_agents()
    return ledger


async def make_key(ledger: Ledger, scope: str, project: str = DEFAULT_PROJECT_NAME) -> str:
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        if project != DEFAULT_PROJECT_NAME:
            try:
                await tenancy.get_project(uow, project)
            except Exception:
                await tenancy.create_project(uow, project)
        created = await tenancy.create_key(
            uow, name=f"{scope}-{uuid.uuid4().hex[:6]}", scope=scope, project=project
        )
    return created.secret


@pytest.fixture
async def api(seeded: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app, authenticated with a write key of the default project."""
    app = create_app(seeded.settings, ledger=seeded)
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        headers={"Authorization": f"Bearer {key}"},
    ) as client:
        yield client


@pytest.fixture
def app_for(seeded: Ledger):  # type: ignore[no-untyped-def]
    """Build an unauthenticated HTTP client for the app (tests add their own headers)."""

    def build(**headers: str) -> httpx.AsyncClient:
        app = create_app(seeded.settings, ledger=seeded)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
        )

    return build
