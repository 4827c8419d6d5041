"""Backups restore into an empty database of either backend and verify against the manifest."""

from __future__ import annotations

import itertools
import os
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from evalledger.config import load_settings
from evalledger.db.engine import Database
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.ops import backup, restore
from evalledger.ops.canonical import table_digests
from evalledger.sdk.ledger import Ledger
from tests.conftest import BACKENDS, acreate_pg_database, adrop_pg_database, reset_tables
from tests.support.populate import empty_tables, populate


async def fresh_database(backend: str, tmp_path: Path) -> tuple[Database, str | None]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / f'target-{uuid.uuid4().hex[:6]}.db'}"
        return Database(load_settings(database_url=url)), None
    name = f"evalledger_restore_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    return Database(load_settings(database_url=await acreate_pg_database(name))), name


@pytest.fixture
async def populated(ledger: Ledger) -> AsyncIterator[Ledger]:
    await populate(ledger)
    yield ledger


async def test_populate_covers_every_table(populated: Ledger) -> None:
    assert await empty_tables(populated) == []


PAIRS = [p for p in itertools.product(BACKENDS, BACKENDS)]


@pytest.mark.parametrize(("backend", "target"), PAIRS, indirect=["backend"])
async def test_logical_backup_restores_across_backends(
    populated: Ledger, target: str, tmp_path: Path
) -> None:
    path = await backup.create(populated.db, tmp_path / "backups")
    manifest = backup.read_manifest(path)
    assert manifest["backend"] == populated.db.dialect_name
    assert all(t["rows"] > 0 for t in manifest["tables"].values())
    db, name = await fresh_database(target, tmp_path)
    try:
        result = await restore.restore(db, path)
        assert result.verified, result.mismatches
        async with backup.snapshot(db) as conn:
            assert await table_digests(conn, db.dialect_name) == manifest["tables"]
        # The restored ledger works and holds the same answers.
        restored = Ledger(db, populated.settings)
        assert await restored.get_agent_metrics("guardian") == await populated.get_agent_metrics(
            "guardian"
        )
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)


async def test_restore_refuses_a_non_empty_target_without_force(
    populated: Ledger, tmp_path: Path
) -> None:
    path = await backup.create(populated.db, tmp_path)
    with pytest.raises(ConflictError, match="--force"):
        await restore.restore(populated.db, path)
    await populated.update_custody_test_result("sandbox", {"passed": True, "score": 1})
    result = await restore.restore(populated.db, path, force=True)
    assert result.verified
    assert (await populated.get_custody_metrics("sandbox")).total_tests_given == 0


async def test_corrupted_archive_is_refused_and_nothing_written(
    populated: Ledger, tmp_path: Path
) -> None:
    path = await backup.create(populated.db, tmp_path)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "tables/custody_test_results.jsonl":
                data = data.replace(b'"score":45.0', b'"score":99.0', 1)
            dst.writestr(item, data)
    await reset_tables(populated.db)
    with pytest.raises(ValidationFailed, match=r"tables/custody_test_results\.jsonl hashes to"):
        await restore.restore(populated.db, tampered)
    assert (await populated.get_all_agent_metrics()).total_agents == 0

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValidationFailed):
        await restore.restore(populated.db, truncated)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a backup at all")
    with pytest.raises(ValidationFailed, match="not an evalledger backup"):
        await restore.restore(populated.db, garbage)


async def test_native_backup_restores_and_verifies(populated: Ledger, tmp_path: Path) -> None:
    path = await backup.create(populated.db, tmp_path, fmt="native")
    manifest = backup.read_manifest(path)
    expected = manifest["tables"]
    await reset_tables(populated.db)
    result = await restore.restore(populated.db, path, force=True)
    assert result.verified, result.mismatches
    assert sum(result.rows.values()) == sum(t["rows"] for t in expected.values())


async def test_keep_rotates_old_backups(populated: Ledger, tmp_path: Path) -> None:
    made = [await backup.create(populated.db, tmp_path, keep=2) for _ in range(4)]
    listed = backup.list_backups(tmp_path)
    assert [b.path for b in listed] == sorted(made[-2:], reverse=True)
    assert listed[0].manifest["tool_version"]
