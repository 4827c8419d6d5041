"""The CLI: init, db, keys, projects, agents. Exit codes and output a user relies on."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from evalledger.cli.main import app
from evalledger.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_db(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def test_init_seed_is_idempotent(cli_db: str) -> None:
    first = invoke("init", "--seed")
    assert first.exit_code == 0, first.output
    assert "imperium, guardian, sandbox, conquest" in first.output
    second = invoke("init", "--seed")
    assert second.exit_code == 0 and "none (already present)" in second.output
    listing = invoke("agents", "list")
    assert listing.exit_code == 0
    for name in ("imperium", "guardian", "sandbox", "conquest"):
        assert name in listing.output


def test_commands_refuse_an_uninitialised_database(cli_db: str) -> None:
    result = invoke("agents", "list")
    assert result.exit_code == 4
    assert "evalledger init" in result.output and "db upgrade" not in result.output


def test_db_commands(cli_db: str) -> None:
    assert invoke("db", "upgrade").exit_code == 0
    current = invoke("db", "current")
    assert current.exit_code == 0 and "(head)" in current.output
    assert "0001" in invoke("db", "history").output
    down = invoke("db", "downgrade", "base")
    assert down.exit_code == 0 and "base" in down.output
    assert "empty database: run `evalledger init`" in invoke("db", "current").output


def test_keys_lifecycle(cli_db: str) -> None:
    from evalledger.api.app import create_app
    from evalledger.sdk.ledger import Ledger

    invoke("init", "--seed")
    created = invoke("keys", "create", "--scope", "read", "--name", "dashboard")
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("evl_")
    listing = invoke("keys", "list")
    assert "dashboard" in listing.output and secret not in listing.output

    async def status() -> int:
        async with Ledger.open(cli_db) as ledger:
            app_ = create_app(ledger.settings, ledger=ledger)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app_),
                base_url="http://t",
                headers={"Authorization": f"Bearer {secret}"},
            ) as client:
                return (await client.get("/api/agent-metrics/")).status_code

    import asyncio

    assert asyncio.run(status()) == 200
    prefix = secret.split("_")[1]
    assert invoke("keys", "revoke", prefix).exit_code == 0
    assert asyncio.run(status()) == 401


def test_keys_for_unknown_project_and_bad_scope(cli_db: str) -> None:
    invoke("init")
    missing = invoke("keys", "create", "--scope", "read", "--name", "x", "--project", "nope")
    assert missing.exit_code == 3 and "projects create nope" in missing.output
    bad = invoke("keys", "create", "--scope", "superuser", "--name", "x")
    assert bad.exit_code == 2 and "superuser" in bad.output  # bad usage, not a domain error
    assert invoke("projects", "create", "team-a").exit_code == 0
    assert invoke("projects", "create", "team-a").exit_code == 1
    ok = invoke("keys", "create", "--scope", "write", "--name", "x", "--project", "team-a")
    assert ok.exit_code == 0
    assert "team-a" in invoke("projects", "list").output


def test_agents_show_and_unknown(cli_db: str) -> None:
    import asyncio

    from evalledger.sdk.ledger import Ledger

    invoke("init", "--seed")

    async def record() -> None:
        async with Ledger.open(cli_db) as ledger:
            await ledger.update_custody_test_result(
                "guardian", {"passed": True, "score": 77, "test_id": "t-1"}
            )

    asyncio.run(record())
    shown = invoke("agents", "show", "guardian")
    assert shown.exit_code == 0 and "t-1" in shown.output and "77" in shown.output
    unknown = invoke("agents", "show", "ghost")
    assert unknown.exit_code == 3 and "ghost" in unknown.output


def test_malformed_url_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", "nonsense")
    get_settings.cache_clear()
    try:
        result = invoke("agents", "list")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "EVALLEDGER_DATABASE_URL" in result.output
