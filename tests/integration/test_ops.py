"""Health, the persistence report, CSV export/import (``/metrics``: test_metrics.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from evalledger.errors import ValidationFailed
from evalledger.ops import csvio, health, report
from evalledger.sdk.ledger import Ledger


async def test_health_facts(seeded: Ledger) -> None:
    rep = await health.collect(seeded.db, diagnose=True)
    assert rep.status == "healthy", rep.problems
    assert rep.database == "connected" and rep.latency_ms is not None
    assert rep.migrations_current
    rows = {t.table: t.rows for t in rep.tables}
    assert rows["agent_metrics"] == 4
    assert rep.diagnostics is not None and rep.diagnostics["problems"] == []
    if seeded.db.is_postgres:
        assert {"long_running_queries", "lock_waits", "dead_tuples", "index_usage"} <= set(
            rep.diagnostics
        )
    else:
        assert rep.diagnostics["integrity_check"] == ["ok"]


async def test_health_reports_an_out_of_date_schema(seeded: Ledger) -> None:
    async with seeded.db.write_engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        rep = await health.collect(seeded.db)
        assert rep.status == "unhealthy" and not rep.migrations_current
        assert any("evalledger db upgrade" in p for p in rep.problems)
    finally:
        from evalledger.db import migrate

        async with seeded.db.write_engine.begin() as conn:
            await conn.execute(
                text("UPDATE alembic_version SET version_num = :v"),
                {"v": migrate.head_revision()},
            )


async def test_report_proves_tables_columns_and_indexes(seeded: Ledger) -> None:
    rep = await report.build(seeded.db)
    assert rep.ok, rep.problems
    by_name = {t.table: t for t in rep.tables}
    assert by_name["agent_metrics"].rows == 4
    async with seeded.db.write_engine.begin() as conn:
        await conn.execute(text("DROP INDEX idx_custody_test_results_test_type"))
    try:
        rep = await report.build(seeded.db)
        assert not rep.ok
        assert "custody_test_results: index idx_custody_test_results_test_type is missing" in (
            rep.problems
        )
    finally:
        async with seeded.db.write_engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE INDEX idx_custody_test_results_test_type "
                    "ON custody_test_results (test_type)"
                )
            )


async def test_csv_round_trip_and_bad_line(seeded: Ledger, tmp_path: Path) -> None:
    for i in range(5):
        await seeded.update_custody_test_result("guardian", {"passed": True, "score": 10 * i})
    out = tmp_path / "results.csv"
    assert await csvio.export_csv(seeded.db, "custody_test_results", out) == 5
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,") or "id" in lines[0].split(",")

    # Re-import into an emptied table: all five come back.
    async with seeded.db.write_engine.begin() as conn:
        await conn.execute(text("DELETE FROM custody_test_results"))
    assert await csvio.import_csv(seeded.db, "custody_test_results", out) == 5

    # A score out of range on line 3 is rejected by the same CHECK the API relies on.
    async with seeded.db.write_engine.begin() as conn:
        await conn.execute(text("DELETE FROM custody_test_results"))
    header, *rows = out.read_text().splitlines()
    cols = header.split(",")
    bad = rows[1].split(",")
    bad[cols.index("score")] = "250"
    rows[1] = ",".join(bad)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(ValidationFailed, match="line 3"):
        await csvio.import_csv(seeded.db, "custody_test_results", broken)
    async with seeded.db.engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM custody_test_results"))).scalar()
    assert left == 0

    bad_type = tmp_path / "bad_type.csv"
    bad_type.write_text("\n".join([header, rows[0].replace("True", "perhaps", 1)]) + "\n")
    with pytest.raises(ValidationFailed, match="line 2, column passed"):
        await csvio.import_csv(seeded.db, "custody_test_results", bad_type)
    with pytest.raises(ValidationFailed, match="unknown table"):
        await csvio.import_csv(seeded.db, "nope", bad_type)
