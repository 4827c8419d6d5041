"""A logical backup holding imported runs restores into the other backend with every run,
metric, sample, score and text intact, and verifies clean there."""

from __future__ import annotations

from pathlib import Path

from evalledger.ops import backup, restore
from evalledger.runs.formats import find_logs
from evalledger.sdk.ledger import Ledger
from tests.conftest import adrop_pg_database
from tests.integration.test_backup_restore import fresh_database
from tests.integration.test_hostile_property import other_backend
from tests.integration.test_runs_import import all_samples
from tests.support.harness_logs import FIXTURES


async def test_imported_runs_survive_a_restore_into_the_other_backend(
    ledger: Ledger, backend: str, tmp_path: Path
) -> None:
    for path, _ in find_logs(FIXTURES):
        await ledger.import_run(path, tags=["restored"])
    runs = (await ledger.list_runs(limit=100)).items
    assert len(runs) == 15 + 9  # and compare/'s 4 Inspect and 5 lm-eval runs
    archive = await backup.create(ledger.db, tmp_path / "backups")
    db, name = await fresh_database(other_backend(backend), tmp_path)
    try:
        result = await restore.restore(db, archive)
        assert result.verified, result.mismatches
        restored = Ledger(db, ledger.settings)
        assert (await restored.list_runs(limit=100)).items == runs
        for run in runs:
            assert await restored.get_run(run.id) == await ledger.get_run(run.id)
            assert await all_samples(restored, run.id) == await all_samples(ledger, run.id)
        failed = await restored.list_samples(runs[0].id, scorer="pass", passed=False)
        assert failed == await ledger.list_samples(runs[0].id, scorer="pass", passed=False)
        (check,) = [c for c in (await restored.verify()).checks if c.key == "runs"]
        assert check.status == "ok", [line.text for line in check.lines]
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)
