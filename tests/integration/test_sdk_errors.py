"""What the SDK raises: always an EvalLedgerError, the same class in-process and remotely.

Bad input is ValidationFailed naming the field (in a recorder, the caller's item); an
unreachable server is ServerUnreachable, not the server-side DatabaseUnavailable; an unknown
agent says how to create it, from the Ledger, the Client, REST (single and batch) and the CLI.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from evalledger import errors
from evalledger.api.app import create_app
from evalledger.cli.main import app as cli_app
from evalledger.config import get_settings
from evalledger.sdk.client import Client, SyncClient
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key

CREATE_HINT = "create_or_update_agent_metrics('ghost')"


@pytest.fixture
async def client(seeded: Ledger) -> AsyncIterator[Client]:
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as c:
        yield c


Call = Callable[[Any], Awaitable[Any]]

BAD_INPUT: list[tuple[str, Call, str]] = [
    (
        "score out of range",
        lambda s: s.update_custody_test_result("guardian", {"passed": True, "score": 500}),
        "score",
    ),
    (
        "missing field",
        lambda s: s.update_custody_test_result("guardian", {"score": 50}),
        "passed",
    ),
    ("malformed event id", lambda s: s.get_event("not-a-uuid"), "event_id"),
    (
        "batch item",
        lambda s: s.record_custody_tests(
            [{"agent_type": "guardian", "passed": True, "score": 1}] * 2
            + [{"agent_type": "guardian", "passed": True, "score": -1}]
        ),
        "results.2.score",
    ),
]


@pytest.mark.parametrize(("case", "call", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
async def test_bad_input_is_the_same_class_in_process_and_remote(
    seeded: Ledger, client: Client, case: str, call: Call, field: str
) -> None:
    for side in (seeded, client):
        with pytest.raises(errors.EvalLedgerError) as info:
            await call(side)
        assert type(info.value) is errors.ValidationFailed, (side, info.value)
        assert info.value.field is not None and info.value.field.endswith(field), info.value.field
        assert field.split(".")[-1] in info.value.message


async def test_same_message_in_process_and_remote(seeded: Ledger, client: Client) -> None:
    messages = []
    for side in (seeded, client):
        with pytest.raises(errors.NotFoundError) as info:
            await side.get_agent_metrics("ghost")
        messages.append(info.value.message)
    assert messages[0] == messages[1]


async def test_recorder_names_the_callers_item(seeded: Ledger) -> None:
    async with seeded.recorder(batch_size=2) as rec:
        for _ in range(3):
            await rec.record("guardian", passed=True, score=90)
        with pytest.raises(errors.ValidationFailed) as info:
            await rec.record("guardian", passed=True, score=101)  # the caller's 4th: index 3
        assert info.value.field == "results.3.score"
    assert rec.recorded == 3


async def test_recorder_flush_error_names_the_callers_item(seeded: Ledger, client: Client) -> None:
    for side in (seeded, client):
        rec = side.recorder(batch_size=2)
        await rec.record("guardian", passed=True, score=90)
        await rec.record("guardian", passed=True, score=90)  # first batch flushed: items 0, 1
        await rec.record("guardian", passed=False, score=10)
        with pytest.raises(errors.NotFoundError) as info:
            await rec.record("ghost", passed=True, score=90)  # item 3, in the second batch
        assert info.value.field == "results.3.agent_type", side
        assert CREATE_HINT in info.value.message


async def test_bad_batch_size_is_validation_failed(seeded: Ledger) -> None:
    with pytest.raises(errors.ValidationFailed) as info:
        seeded.recorder(batch_size=0)
    assert info.value.field == "batch_size"


async def test_unreachable_server_is_server_unreachable() -> None:
    async with Client("http://127.0.0.1:9", retries=0, timeout=2) as c:
        with pytest.raises(errors.ServerUnreachable) as info:
            await c.get_agent_metrics("guardian")
    assert not isinstance(info.value, errors.DatabaseUnavailable)
    assert isinstance(info.value, errors.UnavailableError)
    assert "127.0.0.1:9" in info.value.message


def test_sync_client_raises_the_same_classes() -> None:
    with SyncClient("http://127.0.0.1:9", retries=0, timeout=2) as c:
        with pytest.raises(errors.ValidationFailed):
            c.update_custody_test_result("guardian", {"passed": "maybe", "score": 1})
        with pytest.raises(errors.ServerUnreachable):
            c.get_agent_metrics("guardian")


# -- an agent that does not exist: every way in says how to create it -------------------------


async def test_unknown_agent_names_the_call_that_creates_it(seeded: Ledger, client: Client) -> None:
    for side in (seeded, client):
        with pytest.raises(errors.NotFoundError) as single:
            await side.update_custody_test_result("ghost", {"passed": True, "score": 1})
        with pytest.raises(errors.NotFoundError) as batch:
            await side.record_custody_tests(
                [
                    {"agent_type": "guardian", "passed": True, "score": 1},
                    {"agent_type": "ghost", "passed": True, "score": 1},
                ]
            )
        for info in (single, batch):
            assert CREATE_HINT in info.value.message
            assert "PUT /api/agent-metrics/ghost" in info.value.message
        assert batch.value.field == "results.1.agent_type"
    # After the call the hint names, the first script works.
    await client.create_or_update_agent_metrics("ghost")
    out = await seeded.update_custody_test_result("ghost", {"passed": True, "score": 1})
    assert out.updated_custody_metrics.total_tests_given == 1


async def test_unknown_agent_over_rest(api: httpx.AsyncClient) -> None:
    single = await api.post(
        "/api/agent-metrics/ghost/custody-test", json={"passed": True, "score": 1}
    )
    batch = await api.post(
        "/api/v1/custody-tests:batch",
        json={"results": [{"agent_type": "ghost", "passed": True, "score": 1}]},
    )
    for response in (single, batch):
        assert response.status_code == 404
        assert "PUT /api/agent-metrics/ghost" in response.text and CREATE_HINT in response.text


def test_unknown_agent_in_the_cli_and_agents_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli_app, ["init"]).exit_code == 0
        shown = runner.invoke(cli_app, ["agents", "show", "ghost"])
        assert shown.exit_code == 3 and "evalledger agents create ghost" in shown.output
        created = runner.invoke(cli_app, ["agents", "create", "ghost"])
        assert created.exit_code == 0 and "created" in created.output
        again = runner.invoke(cli_app, ["agents", "create", "ghost"])
        assert again.exit_code == 0 and "already exists" in again.output
        assert runner.invoke(cli_app, ["agents", "show", "ghost"]).exit_code == 0
    finally:
        get_settings.cache_clear()


# -- Ledger.open never leaves an empty database behind ----------------------------------------


async def test_open_outside_the_project_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EVALLEDGER_DATABASE_URL", raising=False)
    with pytest.raises(errors.DatabaseNotInitialised) as info:
        await Ledger.open()
    assert str(tmp_path / "evalledger.db") in info.value.message
    assert "evalledger init" in info.value.message and "migrate_schema=True" in info.value.message
    assert os.listdir(tmp_path) == []
    async with Ledger.open(migrate_schema=True) as ledger:  # the documented way to create it
        assert await ledger.list_agents() == []


async def test_open_in_a_missing_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gone' / 'x.db'}"
    for migrate_schema in (False, True):
        with pytest.raises(errors.DatabaseMissing) as info:
            await Ledger.open(url, migrate_schema=migrate_schema)
        assert str(tmp_path / "gone") in info.value.message
    assert not (tmp_path / "gone").exists()


async def test_open_with_a_bad_setting_is_an_evalledger_error() -> None:
    with pytest.raises(errors.ConfigurationError):
        await Ledger.open("nonsense://")


async def test_open_unknown_postgres_database(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL only")
    from tests.conftest import pg_url_for

    name = f"evalledger_absent_{uuid.uuid4().hex[:8]}"
    with pytest.raises(errors.DatabaseMissing) as info:
        await Ledger.open(pg_url_for(name))
    assert name in info.value.message and "evalledger init" in info.value.message


def test_the_remote_client_imports_no_server_code() -> None:
    """A remote user gets a light client: no FastAPI, SQLAlchemy or prometheus-client."""
    import subprocess
    import sys

    script = (
        "import sys, evalledger\n"
        "evalledger.Client, evalledger.SyncClient\n"
        "from evalledger.errors import EvalLedgerError\n"
        "heavy = [m for m in ('fastapi', 'starlette', 'sqlalchemy', 'prometheus_client')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "", f"importing the Client loaded {done.stdout.strip()}"


# -- a server whose database schema is not this version's -------------------------------------


@pytest.fixture
async def stale_schema_ledger(backend: str, tmp_path: Path) -> AsyncIterator[Ledger]:
    """A Ledger on a database of its own whose runs table is gone (a schema from another
    version): every read of runs fails as the database's "no such table"."""
    from evalledger.config import load_settings
    from evalledger.db import migrate
    from evalledger.db.engine import Database
    from tests.conftest import acreate_pg_database, adrop_pg_database

    name = f"evalledger_stale_{os.getpid()}"
    if backend == "postgres":
        url = await acreate_pg_database(name)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'stale.db'}"
    db = Database(load_settings(database_url=url))
    await migrate.upgrade(db)
    await db.dispose()
    led = await Ledger.open(settings=load_settings(database_url=url, exports_dir=tmp_path))
    from sqlalchemy import text

    async with led.db.write_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE eval_runs RENAME TO eval_runs_of_another_version"))
    try:
        yield led
    finally:
        await led.close()
        if backend == "postgres":
            await adrop_pg_database(name)


async def test_a_stale_schema_is_schema_out_of_date_in_process_and_remote(
    stale_schema_ledger: Ledger,
) -> None:
    """Not DatabaseUnavailable (both are 503): retrying will not help, `db upgrade` will, and
    the CLI's exit code (4) says so."""
    transport = httpx.ASGITransport(
        app=create_app(stale_schema_ledger.settings, ledger=stale_schema_ledger)
    )
    key = await make_key(stale_schema_ledger, "read")
    async with Client("http://test", api_key=key, transport=transport, retries=0) as remote:
        for side in (stale_schema_ledger, remote):
            with pytest.raises(errors.EvalLedgerError) as info:
                await side.list_runs()
            assert type(info.value) is errors.SchemaOutOfDate, (side, info.value)
            assert "upgrade" in info.value.message
            assert errors.exit_code(info.value) == errors.EXIT_SCHEMA
