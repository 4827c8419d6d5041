"""Listings in an 80-column, non-terminal stdout (a cron log, a pipe): identifiers and cursors
whole on one line, ``--json`` with the API's fields, one date/time syntax (both backends)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from evalledger.api.app import create_app
from evalledger.config import Settings, get_settings
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger
from tests.conftest import reset_tables

runner = CliRunner()

#: 50 characters, the longest agent name the API takes.
LONG_AGENT = "agent-with-a-rather-long-name-for-the-80-columns-x"
LONG_PATH = "/models/checkpoints/" + "very-long-directory-name/" * 5 + "step-000123.pt"


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("COLUMNS", "80")
    get_settings.cache_clear()

    async def prepare() -> None:
        async with Ledger.open(settings=settings) as ledger:
            await reset_tables(ledger.db)
            await ledger.seed_default_agents()
            await ledger.create_or_update_agent_metrics(LONG_AGENT, {})
            for n in range(3):
                await ledger.record_event(
                    {
                        "event_type": "olympics",
                        "participants": [LONG_AGENT, "guardian"],
                        "scores": {LONG_AGENT: n, "guardian": 5},
                        "winners": ["guardian"],
                    }
                )
            await ledger.create_claim({"external_id": "claim-" + "c" * 60, "content": "x"})
            await ledger.create_claim({"external_id": "claim-2", "content": "y"})
            await ledger.create_checkpoint(
                {"model_name": "m", "version": "1", "checkpoint_path": LONG_PATH, "metrics": {}}
            )

    asyncio.run(prepare())
    try:
        yield settings
    finally:
        get_settings.cache_clear()


def invoke(*args: str) -> Any:
    result = runner.invoke(_app(), list(args))
    return result


def _app() -> Any:
    from evalledger.cli.main import app

    return app


def _lines(output: str) -> list[str]:
    return output.splitlines()


def test_a_long_agent_name_is_whole_on_one_line(cli: Settings) -> None:
    for args in (["agents", "list"], ["leaderboard", "--method", "xp"], ["events", "list"]):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert any(LONG_AGENT in line for line in _lines(result.output)), (args, result.output)
        assert "…" not in result.output, (args, result.output)


def test_a_long_path_and_claim_id_are_whole(cli: Settings) -> None:
    result = invoke("checkpoints", "list")
    assert result.exit_code == 0, result.output
    assert any(LONG_PATH in line for line in _lines(result.output)), result.output
    result = invoke("claims", "list")
    assert any("claim-" + "c" * 60 in line for line in _lines(result.output)), result.output


def test_the_next_cursor_is_one_pasteable_line(cli: Settings) -> None:
    first = invoke("events", "list", "--limit", "2")
    assert first.exit_code == 0, first.output
    more = [line for line in _lines(first.output) if line.startswith("more: --cursor ")]
    assert len(more) == 1, first.output
    cursor = more[0].removeprefix("more: --cursor ")
    second = invoke("events", "list", "--limit", "2", "--cursor", cursor, "--json")
    assert second.exit_code == 0, second.output
    page = json.loads(second.output)
    assert len(page["items"]) == 1 and page["next_cursor"] is None


def _api(settings: Settings, path: str) -> Any:
    async def go() -> Any:
        async with Ledger.open(settings=settings) as ledger:
            app = create_app(ledger.settings, ledger=ledger, no_auth=True)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client:
                response = await client.get(path)
                assert response.status_code == 200, response.text
                return response.json()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["events", "list"], "/api/v1/events"),
        (["claims", "list"], "/api/v1/claims"),
        (["checkpoints", "list"], "/api/v1/checkpoints"),
        (["leaderboard", "--method", "xp"], "/api/v1/leaderboard?method=xp"),
    ],
)
def test_json_listing_is_what_the_api_returns(cli: Settings, args: list[str], path: str) -> None:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == _api(cli, path)


def test_json_on_the_other_listings(cli: Settings) -> None:
    agents = json.loads(invoke("agents", "list", "--json").output)
    assert LONG_AGENT in {a["agent_type"] for a in agents}
    assert {"agent_type", "level", "xp", "pass_rate"} <= set(agents[0])
    board = json.loads(invoke("leaderboard", "--method", "xp", "--json").output)
    assert board["method"] == "xp" and board["entries"]
    projects = json.loads(invoke("projects", "list", "--json").output)
    assert [p["name"] for p in projects] == ["default"]
    assert invoke("keys", "create", "--scope", "read", "--name", "k").exit_code == 0
    keys = json.loads(invoke("keys", "list", "--json").output)
    assert [(k["name"], k["scope"], k["project"]) for k in keys] == [("k", "read", "default")]
    assert "secret" not in keys[0] and "hash" not in json.dumps(keys)
    history = json.loads(invoke("db", "history", "--json").output)
    assert history[-1]["revision"] == "0001"


def test_date_and_time_options_take_dates_naive_times_and_offsets(cli: Settings) -> None:
    today = utcnow().date()
    tomorrow = today.fromordinal(today.toordinal() + 1)
    for value in (
        today.isoformat(),
        f"{today.isoformat()}+00:00",
        f"{today.isoformat()}T00:00",
        f"{today.isoformat()}T00:00Z",
        f"{today.isoformat()}T01:00+01:00",
    ):
        result = invoke("events", "list", "--start", value, "--json")
        assert result.exit_code == 0, (value, result.output)
        assert len(json.loads(result.output)["items"]) == 3, value
    later = invoke("events", "list", "--start", tomorrow.isoformat(), "--json")
    assert json.loads(later.output)["items"] == []
    # A date as the end of a range means the whole of that day, as in `assessments export`.
    until_today = invoke("events", "list", "--end", today.isoformat(), "--json")
    assert len(json.loads(until_today.output)["items"]) == 3
    claims = invoke("claims", "list", "--start", tomorrow.isoformat(), "--json")
    assert claims.exit_code == 0 and json.loads(claims.output)["items"] == []


@pytest.mark.parametrize(
    "args",
    [
        ["events", "list", "--start", "yesterday"],
        ["events", "list", "--end", "2026-11-01+00:00+00:00"],
        ["claims", "list", "--start", "2026-02-30"],
        ["assessments", "export", "-o", "x.json", "--start-date", "soon"],
    ],
)
def test_a_bad_date_is_one_line_and_exit_2(cli: Settings, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    lines = [line for line in _lines(result.output) if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"error: {args[-2]}: not a date or time")
