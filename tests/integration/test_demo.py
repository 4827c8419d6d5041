"""``evalledger demo``: deterministic, idempotent demo data through the public SDK."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from evalledger.agents.models import CustodyTestResult
from evalledger.api.app import create_app
from evalledger.cli.main import app
from evalledger.config import get_settings
from evalledger.demo.generator import generate
from evalledger.sdk.ledger import Ledger
from tests.support.populate import empty_tables


async def _result_ids(ledger: Ledger) -> list[str]:
    async with ledger.db.engine.connect() as conn:
        rows = await conn.execute(select(CustodyTestResult.id).order_by(CustodyTestResult.id))
        return [str(r[0]) for r in rows]


async def test_demo_fills_every_table_and_a_second_run_adds_nothing(ledger: Ledger) -> None:
    counts = await generate(ledger, "small", seed=7)
    assert await empty_tables(ledger) == []
    assert counts["custody_results"] == len(await _result_ids(ledger))
    summary = await ledger.get_analytics_summary()
    # sandbox is left without results on purpose; the others have histories.
    assert (await ledger.get_custody_metrics("sandbox")).total_tests_given == 0
    assert summary.total_tests_given == counts["custody_results"] - 2  # 2 in the 2nd project
    assert (await ledger.event_stats()).total_events == counts["events"]
    assert (await ledger.stats()).total_assessments == counts["assessments"]
    assert len(await ledger.stale_instances(60)) == 1

    before = await _result_ids(ledger)
    assert await generate(ledger, "small", seed=7) == {}
    assert await _result_ids(ledger) == before


async def test_demo_writes_no_internal_marker_row(ledger: Ledger) -> None:
    """Every claim the demo writes is one a dashboard user can make sense of: no
    ``demo-marker`` on the Verification page, yet a second run still adds nothing."""
    await generate(ledger, "small", seed=3)
    claims = (await ledger.list_claims(limit=1000)).items
    assert claims and all(c.claim_type != "demo" for c in claims)
    assert "demo-marker" not in {c.external_id for c in claims}
    app = create_app(ledger.settings, no_auth=True, ledger=ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as web:
        page = await web.get("/verification")
    assert page.status_code == 200 and "demo-marker" not in page.text
    assert await generate(ledger, "small", seed=3) == {}
    assert len((await ledger.list_claims(limit=1000)).items) == len(claims)


async def test_same_seed_same_data(ledger: Ledger, tmp_path: Path) -> None:
    await generate(ledger, "small", seed=11)
    async with Ledger.open(
        f"sqlite+aiosqlite:///{tmp_path / 'again.db'}", migrate_schema=True
    ) as again:
        await generate(again, "small", seed=11)
        assert await _result_ids(again) == await _result_ids(ledger)
        ours, theirs = await ledger.list_agents(), await again.list_agents()
        assert [(a.agent_type, a.xp, a.level) for a in ours] == [
            (a.agent_type, a.xp, a.level) for a in theirs
        ]
        async with again.db.engine.connect() as conn:
            assert (
                await conn.execute(select(func.count()).select_from(CustodyTestResult))
            ).scalar()


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_demo_if_empty_as_make_serve_runs_it(cli_db: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    first = runner.invoke(app, ["demo", "--if-empty", "--seed", "2"])
    assert first.exit_code == 0, first.output
    assert "custody_results" in first.output
    # Not a terminal: progress as plain lines, the first at once and the last at the end
    # (240 results in 3 batches, then the agents' learning and 10 more parts: 14 steps).
    progress = [line for line in first.output.splitlines() if line.startswith("Progress: ")]
    assert progress[0] == "Progress: 1/14 (custody results)"
    assert progress[-1] == "Progress: 14/14 (keys)"
    assert re.search(r"read-only key for the dashboard \(shown once\): evl_\S+", first.output)
    again = runner.invoke(app, ["demo", "--if-empty"])
    assert again.exit_code == 0 and "no demo data added" in again.output
    assert "already present" in runner.invoke(app, ["demo", "--seed", "2"]).output
    # A second data set into another project (result ids are unique across projects).
    assert runner.invoke(app, ["projects", "create", "other"]).exit_code == 0
    other = runner.invoke(app, ["demo", "--project", "other", "--seed", "2"])
    assert other.exit_code == 0 and "custody_results" in other.output, other.output
    bad = runner.invoke(app, ["demo", "--size", "huge"])
    assert bad.exit_code == 2
