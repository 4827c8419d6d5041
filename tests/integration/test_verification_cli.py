"""``evalledger claims list|show``, ``consensus show`` and ``checkpoints list`` (SQLite file)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalledger.cli.main import app
from evalledger.config import get_settings
from evalledger.sdk.ledger import Ledger

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    async def prepare() -> None:
        async with Ledger.open(url, migrate_schema=True) as ledger:
            await ledger.create_claim(
                {"external_id": "claim-123", "content": "Water boils at 100C", "claim_type": "fact"}
            )
            await ledger.create_claim({"external_id": "claim-456", "content": "other"})
            for fw, valid in (("empirical", True), ("logical", True)):
                await ledger.create_verification(
                    {
                        "claim_id": "claim-123",
                        "framework": fw,
                        "result": {"valid": valid},
                        "confidence": 0.9,
                    }
                )
            await ledger.compute_consensus("claim-123", "unanimous")
            await ledger.create_checkpoint(
                {
                    "model_name": "verifier",
                    "framework": "empirical",
                    "version": "v7",
                    "checkpoint_path": "/ckpt/v7",
                    "metrics": {},
                    "is_active": True,
                }
            )
            await ledger.create_checkpoint(
                {"model_name": "verifier", "version": "v1", "checkpoint_path": "/x", "metrics": {}}
            )

    asyncio.run(prepare())
    try:
        yield url
    finally:
        get_settings.cache_clear()


def test_claims_list_and_show(database: str) -> None:
    out = runner.invoke(app, ["claims", "list"])
    assert out.exit_code == 0, out.output
    assert "claim-123" in out.output and "claim-456" in out.output
    only = runner.invoke(app, ["claims", "list", "--type", "fact"])
    assert "claim-123" in only.output and "claim-456" not in only.output
    shown = runner.invoke(app, ["claims", "show", "claim-123"])
    assert shown.exit_code == 0 and "empirical" in shown.output and "logical" in shown.output
    missing = runner.invoke(app, ["claims", "show", "nope"])
    assert missing.exit_code == 3 and "not found" in missing.output


def test_consensus_show(database: str) -> None:
    out = runner.invoke(app, ["consensus", "show", "claim-123"])
    assert out.exit_code == 0, out.output
    assert "unanimous" in out.output and "true" in out.output
    assert "empirical, logical" in out.output
    assert runner.invoke(app, ["consensus", "show", "claim-456"]).exit_code == 3


def test_checkpoints_list(database: str) -> None:
    out = runner.invoke(app, ["checkpoints", "list"])
    assert out.exit_code == 0, out.output
    assert "v7" in out.output and "v1" in out.output
    active = runner.invoke(app, ["checkpoints", "list", "--active"])
    assert "v7" in active.output and "v1" not in active.output
