"""``evalledger results list|compare``: filters, --json, --csv, cursors, exit codes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from evalledger.cli.main import app
from evalledger.config import Settings, get_settings
from evalledger.sdk.ledger import Ledger
from tests.conftest import reset_tables

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("COLUMNS", "80")
    get_settings.cache_clear()

    async def prepare() -> None:
        async with Ledger.open(settings=settings) as ledger:
            await reset_tables(ledger.db)
            await ledger.seed_default_agents()
            for i in range(6):
                await ledger.update_custody_test_result(
                    "guardian",
                    {
                        "passed": i % 2 == 0,
                        "score": 10.0 * i,
                        "agent_version": "v1" if i < 3 else "v2",
                        "tags": ["nightly"] if i % 3 == 0 else [],
                        "metadata": {"ds": "a" if i < 4 else "b"},
                        "test_category": "logic" if i == 5 else "general",
                    },
                )
            await ledger.update_custody_test_result("imperium", {"passed": True, "score": 99})

    asyncio.run(prepare())
    try:
        yield settings
    finally:
        get_settings.cache_clear()


def _ids(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["results", "list", "--json", *args])
    assert result.exit_code == 0, result.output
    items: list[dict[str, object]] = json.loads(result.stdout)["items"]
    return items


def test_filters(cli: Settings) -> None:
    assert len(_ids()) == 7
    assert [r["score"] for r in _ids("--agent", "guardian", "--passed")] == [40.0, 20.0, 0.0]
    assert [r["score"] for r in _ids("--failed", "--min-score", "20")] == [50.0, 30.0]
    assert [r["score"] for r in _ids("--max-score", "10")] == [10.0, 0.0]
    assert [r["score"] for r in _ids("--tag", "nightly")] == [30.0, 0.0]
    assert [r["score"] for r in _ids("--category", "logic")] == [50.0]
    assert [r["score"] for r in _ids("--agent-version", "v1", "--asc")] == [0.0, 10.0, 20.0]
    assert [r["score"] for r in _ids("--metadata", "ds=b")] == [50.0, 40.0]
    assert [r["score"] for r in _ids("--sort", "score", "--limit", "2")] == [99.0, 50.0]
    assert _ids("--since", "2999-01-01") == []
    assert len(_ids("--until", "2999-01-01")) == 7


def test_table_and_cursor_walk(cli: Settings) -> None:
    seen: list[str] = []
    args = ["results", "list", "--limit", "3"]
    while True:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        seen += [line for line in lines if "guardian" in line or "imperium" in line]
        more = [line for line in lines if line.startswith("more: --cursor ")]
        if not more:
            break
        args = ["results", "list", "--limit", "3", "--cursor", more[0].split()[-1]]
    assert len(seen) == 7


def test_csv(cli: Settings) -> None:
    result = runner.invoke(app, ["results", "list", "--csv", "--agent", "guardian", "--limit", "4"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 and rows[0]["agent_version"] == "v2"
    assert json.loads(rows[0]["metadata"]) == {"ds": "b"}
    assert "more: --cursor" in result.stderr and "more:" not in result.stdout


def test_compare(cli: Settings) -> None:
    result = runner.invoke(app, ["results", "compare", "--agent", "guardian", "--json"])
    assert result.exit_code == 0, result.output
    groups = {g["key"]: g for g in json.loads(result.stdout)["groups"]}
    assert (groups["v1"]["count"], groups["v1"]["passed"]) == (3, 2)
    assert (groups["v2"]["count"], groups["v2"]["passed"]) == (3, 1)
    table = runner.invoke(app, ["results", "compare", "--agent", "guardian", "--by", "tag"])
    assert table.exit_code == 0, table.output
    assert "nightly" in table.stdout and "(none)" in table.stdout


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["list", "--since", "yesterday"], 2, "--since"),
        (["list", "--min-score", "90", "--max-score", "10"], 2, "--min-score"),
        (["list", "--sort", "name"], 2, "--sort"),
        (["list", "--json", "--csv"], 2, "--csv"),
        (["list", "--cursor", "garbage"], 1, "cursor"),
        (["list", "--metadata", "novalue"], 1, "metadata"),
        (["compare", "--agent", "nobody"], 3, "nobody"),
        (["compare", "--agent", "guardian", "--by", "score"], 1, "group_by"),
    ],
)
def test_errors_are_one_line_and_the_documented_code(
    cli: Settings, args: list[str], code: int, words: str
) -> None:
    result = runner.invoke(app, ["results", *args])
    assert result.exit_code == code, result.output
    assert words in result.output and "Traceback" not in result.output
