"""``evalledger assessments export|import``, ``verify`` and ``stats`` (both backends)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from evalledger.assessments.models import Evidence
from evalledger.cli.main import app
from evalledger.config import Settings, get_settings
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger
from tests.conftest import reset_tables

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI pointed at the test database (emptied), with data for two students."""
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()

    async def prepare() -> None:
        async with Ledger.open(settings=settings) as ledger:
            await reset_tables(ledger.db)
            for name in ("Ann", "Bob"):
                student = await ledger.create_student({"name": name})
                for skill in ("empathy", "problem_solving", "self_regulation", "resilience"):
                    await ledger.create_assessment(
                        student.id,
                        {
                            "skill_type": skill,
                            "score": 0.5,
                            "confidence": 0.5,
                            "evidence": [
                                {
                                    "evidence_type": "behavioral",
                                    "source": "game_telemetry",
                                    "content": str(k),
                                    "relevance_score": 0.4,
                                }
                                for k in range(3)
                            ],
                        },
                    )

    asyncio.run(prepare())
    try:
        yield settings
    finally:
        get_settings.cache_clear()


def _sql(settings: Settings, stmt: object) -> None:
    async def go() -> None:
        async with (
            Ledger.open(settings=settings) as ledger,
            ledger.db.write_engine.begin() as conn,
        ):
            await conn.execute(stmt)  # type: ignore[arg-type]

    asyncio.run(go())


def test_export_then_import_prints_the_seed_lines(cli: Settings, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "backup.json"
    result = runner.invoke(app, ["assessments", "export", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "✓ Successfully exported 8 assessments" in result.output
    assert f"✓ Saved to: {out}" in result.output
    assert "Progress: 8 (exported)" in result.output.splitlines()  # not a terminal: plain lines
    assert json.loads(out.read_text())["total_assessments"] == 8

    filtered = tmp_path / "empathy.json"
    result = runner.invoke(
        app,
        [
            "assessments",
            "export",
            "-o",
            str(filtered),
            "--skill-type",
            "empathy",
            "--start-date",
            "2000-01-01",
            "--end-date",
            "2999-12-31",
        ],
    )
    assert "✓ Successfully exported 2 assessments" in result.output
    # --start/--end as everywhere else (--start-date/--end-date: the MASS spelling, hidden).
    result = runner.invoke(
        app, ["assessments", "export", "-o", str(filtered), "--start", "2999-01-01"]
    )
    assert "✓ Successfully exported 0 assessments" in result.output, result.output
    assert json.loads(filtered.read_text())["export_filters"]["start_date"] == "2999-01-01"

    result = runner.invoke(app, ["assessments", "import", "--input", str(out)])
    assert result.exit_code == 1
    assert "already exists" in result.output and "--skip-duplicates" in result.output

    result = runner.invoke(
        app,
        ["assessments", "import", "--input", str(out), "--skip-duplicates", "--batch-size", "3"],
    )
    assert result.exit_code == 0, result.output
    for line in (
        "Starting assessment import...",
        "Duplicate handling: skip",
        "Found 8 assessments in backup file",
        "Backup timestamp: ",
        "Progress: 8/8 (imported)",
        "✓ Import complete:",
        "  - Imported: 0",
        "  - Skipped: 8",
        "  - Updated: 0",
    ):
        assert line in result.output

    result = runner.invoke(app, ["assessments", "import", "-i", str(out), "--update-duplicates"])
    assert "  - Updated: 8" in result.output

    result = runner.invoke(
        app, ["assessments", "import", "-i", str(out), "--skip-duplicates", "--update-duplicates"]
    )
    assert result.exit_code == 2


def test_import_of_a_malformed_file_names_the_record(cli: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"assessments": [{"id": "abc", "skill_type": "empathy"}]}))
    result = runner.invoke(app, ["assessments", "import", "--input", str(path)])
    assert result.exit_code == 1
    assert "assessment record 0 (id abc)" in result.output


def test_verify_exit_codes_and_json(cli: Settings) -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("✓ All integrity checks passed! Data is healthy.")
    assert "Issues found: 0" in result.output and "Warnings: 0" in result.output

    _sql(cli, update(Evidence).values(updated_at=utcnow().replace(year=utcnow().year + 1)))
    result = runner.invoke(app, ["verify", "--verbose"])
    assert result.exit_code == 1
    assert "✗ 24 records have timestamps in the future (evidence: 24)" in result.output
    assert "Issues found: 1" in result.output
    assert "    - evidence:" in result.output

    result = runner.invoke(app, ["verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["issues_found"] == 1 and report["healthy"] is False


def test_stats_prints_the_seed_statistics(cli: Settings) -> None:
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 0, result.output
    for line in (
        "  Total assessments: 8",
        "    - empathy: 2",
        "  Total evidence records: 24",
        "  Total students: 2",
        "  Average assessments per student: 4.0",
        "  Average evidence per assessment: 3.0",
    ):
        assert line in result.output
    data = json.loads(runner.invoke(app, ["stats", "--json"]).output)
    assert data["total_assessments"] == 8
