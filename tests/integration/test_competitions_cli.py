"""``evalledger events list|show`` and ``evalledger leaderboard`` against a SQLite file."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalledger.cli.main import app
from evalledger.config import get_settings
from evalledger.sdk.ledger import Ledger

runner = CliRunner()
EVENT_ID = uuid.UUID("00000000-0000-0000-0000-00000000e001")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    async def prepare() -> None:
        async with Ledger.open(url, migrate_schema=True) as ledger:
            await ledger.seed_default_agents()
            await ledger.record_event(
                {
                    "id": EVENT_ID,
                    "event_type": "olympics",
                    "participants": ["guardian", "imperium"],
                    "scores": {"guardian": 9, "imperium": 4},
                    "xp_awarded": {"guardian": 120},
                    "penalties": {"imperium": 3},
                    "winners": ["guardian"],
                }
            )
            await ledger.record_event(
                {
                    "event_type": "duel",
                    "participants": ["sandbox", "imperium"],
                    "scores": {"sandbox": 1, "imperium": 2},
                }
            )

    asyncio.run(prepare())
    try:
        yield url
    finally:
        get_settings.cache_clear()


def test_events_list_filters(database: str) -> None:
    result = runner.invoke(app, ["events", "list"])
    assert result.exit_code == 0, result.output
    assert str(EVENT_ID) in result.output and "duel" in result.output
    only = runner.invoke(app, ["events", "list", "--participant", "guardian"])
    assert only.exit_code == 0 and "olympics" in only.output and "duel" not in only.output
    paged = runner.invoke(app, ["events", "list", "--limit", "1"])
    assert paged.exit_code == 0 and "--cursor" in paged.output
    bad = runner.invoke(app, ["events", "list", "--start", "yesterday"])
    assert bad.exit_code != 0


def test_events_show(database: str) -> None:
    result = runner.invoke(app, ["events", "show", str(EVENT_ID)])
    assert result.exit_code == 0, result.output
    assert "guardian" in result.output and "120" in result.output and "yes" in result.output
    missing = runner.invoke(app, ["events", "show", str(uuid.uuid4())])
    assert missing.exit_code == 3  # not found


def test_leaderboard_methods(database: str) -> None:
    for method in ("elo", "bradley_terry"):
        result = runner.invoke(app, ["leaderboard", "--method", method, "--rounds", "20"])
        assert result.exit_code == 0, result.output
        lines = [line for line in result.output.splitlines() if "guardian" in line]
        assert lines and lines[0].strip("│ ").startswith("1")
        assert "conquest" in result.output  # unrated agents are listed too
    xp = runner.invoke(app, ["leaderboard", "--method", "xp"])
    assert xp.exit_code == 0 and "120" in xp.output
    bad = runner.invoke(app, ["leaderboard", "--method", "glicko"])
    assert bad.exit_code == 2
