"""Backups at any schema revision, the plain-SQL and compressed native formats, the CLI's words.

* ``backup create`` on an older schema (the backup the upgrade message asks for) works and
  holds that revision's tables; it restores into an empty database, which ends at the head.
* ``--format sql`` writes plain SQL that ``psql`` / ``sqlite3`` load, matching the manifest.
* A native SQLite backup is compressed; old uncompressed ones still restore; a flipped byte
  in a native dump is refused before the first write.
* ``--dir`` names the backup folder for ``create`` and ``list`` alike (``--output`` still
  works, unlisted); ``backup list`` never cuts a file name short, and has ``--json``.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.ops import backup, restore
from evalledger.ops.canonical import table_digests
from evalledger.ops.schema_at import shapes_at
from evalledger.sdk.ledger import Ledger
from tests.conftest import adrop_pg_database
from tests.integration.test_backup_restore import fresh_database
from tests.support.cli import run_cli
from tests.support.populate import populate


async def _digests_at(db: Database, revision: str) -> dict[str, Any]:
    pairs = [(s.table, s.columns) for s in shapes_at(revision)]
    async with backup.snapshot(db) as conn:
        return await table_digests(conn, db.dialect_name, pairs)


async def test_backup_of_an_older_schema_and_its_restore(backend: str, tmp_path: Path) -> None:
    old, old_name = await fresh_database(backend, tmp_path)
    new, new_name = await fresh_database(backend, tmp_path)
    try:
        await migrate.upgrade(old, "0003")
        async with old.write_engine.begin() as conn:
            await conn.execute(text("UPDATE projects SET name = 'kept-through-the-upgrade'"))
        folder = tmp_path / "backups"
        code, out, err = await run_cli(
            old.settings.database_url, "backup", "create", "--dir", str(folder)
        )
        assert code == 0, out + err
        assert "Traceback" not in err
        [info] = backup.list_backups(folder)
        assert info.manifest["schema_revision"] == "0003"
        assert "students" in info.manifest["tables"] and "claims" not in info.manifest["tables"]

        result = await restore.restore(new, info.path)
        assert result.verified
        assert await migrate.current_revision(new) == migrate.head_revision()
        async with new.engine.connect() as conn:
            kept = (await conn.execute(text("SELECT name FROM projects"))).scalar_one()
        assert kept == "kept-through-the-upgrade"
        # Again, into that database, now at the head and still empty: brought down to the
        # archive's revision, loaded and upgraded, in the one transaction.
        again = await restore.restore(new, info.path)
        assert again.verified
        assert await migrate.current_revision(new) == migrate.head_revision()

        # A database at the head holding data is not silently re-shaped: say what to run.
        await populate(Ledger(new, new.settings))
        before = await _digests_at(new, migrate.head_revision())
        with pytest.raises(ConflictError, match="evalledger db downgrade 0003"):
            await restore.restore(new, info.path, force=True)
        assert await _digests_at(new, migrate.head_revision()) == before
    finally:
        for db, name in ((old, old_name), (new, new_name)):
            await db.dispose()
            if name:
                await adrop_pg_database(name)


@pytest.fixture
async def populated(ledger: Ledger) -> Ledger:
    await populate(ledger)
    return ledger


async def _load_sql(db: Database, path: Path) -> None:
    if db.is_sqlite:
        target = backup.sqlite_path(db)
        conn = sqlite3.connect(target)
        try:
            conn.executescript(path.read_text())
        finally:
            conn.close()
        return
    proc = await asyncio.create_subprocess_exec(
        "psql",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-d",
        backup.libpq_url(db),
        "-f",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]


async def test_plain_sql_backup_loads_with_the_databases_own_tool(
    populated: Ledger, backend: str, tmp_path: Path
) -> None:
    path = await backup.create(populated.db, tmp_path / "backups", fmt="sql")
    assert path.name.endswith(".sql")
    manifest = backup.read_manifest(path)
    assert manifest["format"] == "sql" and manifest["file_sha256"] == backup.file_sha256(path)
    assert [b.path for b in backup.list_backups(tmp_path / "backups")] == [path]
    with pytest.raises(ValidationFailed, match="psql -d URL -f"):
        await restore.restore(populated.db, path)
    db, name = await fresh_database(backend, tmp_path)
    try:
        await _load_sql(db, path)
        assert await _digests_at(db, manifest["schema_revision"]) == manifest["tables"]
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)


async def test_native_backups_are_checked_before_the_first_write(
    populated: Ledger, tmp_path: Path
) -> None:
    path = await backup.create(populated.db, tmp_path / "backups", fmt="native")
    before = await _digests_at(populated.db, migrate.head_revision())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    flipped = tmp_path / path.name
    flipped.write_bytes(bytes(data))
    shutil.copy(f"{path}{backup.MANIFEST_SUFFIX}", f"{flipped}{backup.MANIFEST_SUFFIX}")
    with pytest.raises(ValidationFailed, match="corrupt, truncated or tampered"):
        await restore.restore(populated.db, flipped, force=True)
    assert await _digests_at(populated.db, migrate.head_revision()) == before
    result = await restore.restore(populated.db, path, force=True)
    assert result.verified
    assert await _digests_at(populated.db, migrate.head_revision()) == before
    # The restored database serves requests (on PostgreSQL: under row-level security).
    assert (await populated.get_all_agent_metrics()).total_agents > 0


async def test_sqlite_native_backups_are_compressed_and_old_ones_still_restore(
    populated: Ledger, tmp_path: Path
) -> None:
    if not populated.db.is_sqlite:
        pytest.skip("SQLite's native format")
    path = await backup.create(populated.db, tmp_path / "backups", fmt="native")
    assert path.name.endswith(".sqlite.gz") and path.read_bytes()[:2] == b"\x1f\x8b"
    database = backup.sqlite_path(populated.db)
    assert path.stat().st_size < database.stat().st_size / 2
    before = await _digests_at(populated.db, migrate.head_revision())

    # A backup from before compression: a plain copy, its manifest without a file checksum.
    old = tmp_path / "old" / "evalledger-backup-20261101T000000000000Z.sqlite"
    old.parent.mkdir()
    with gzip.open(path) as src, old.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    manifest = backup.read_manifest(path)
    del manifest["file_sha256"]
    Path(f"{old}{backup.MANIFEST_SUFFIX}").write_text(json.dumps(manifest))
    assert [b.path for b in backup.list_backups(old.parent)] == [old]
    await restore.restore(populated.db, old, force=True)
    assert await _digests_at(populated.db, migrate.head_revision()) == before


async def test_cli_one_word_for_the_folder_full_names_and_json(
    populated: Ledger, tmp_path: Path
) -> None:
    url = populated.settings.database_url
    folder = tmp_path / "a-rather-long-folder-name-for-backups"
    code, out, err = await run_cli(url, "backup", "create", "--dir", str(folder))
    assert code == 0, out + err
    code, out, err = await run_cli(url, "backup", "create", "--output", str(folder))
    assert code == 0, out + err  # the old spelling still works
    names = sorted(p.name for p in folder.iterdir() if p.suffix == ".zip")
    assert len(names) == 2

    for flag in ("--dir", "--output"):
        code, out, err = await run_cli(url, "backup", "list", flag, str(folder))
        assert code == 0, out + err
        for name in names:
            assert name in out.split(), f"{name} is cut short at 80 columns:\n{out}"
    code, out, _ = await run_cli(url, "backup", "list", "--dir", str(folder), "--json")
    listed = json.loads(out)
    assert sorted(item["name"] for item in listed) == names
    assert all(item["format"] == "logical" and item["rows"] > 0 for item in listed)

    for command in ("create", "list"):
        code, out, _ = await run_cli(url, "backup", command, "--help")
        assert "--dir" in out and "--output" not in out
