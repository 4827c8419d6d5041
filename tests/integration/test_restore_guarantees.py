"""What restore must never do: every refused archive leaves the target exactly as it was.

Each case below is an archive a user could really hold (an empty or hand-edited manifest, a
flipped byte, a swapped or extra member, a truncated copy, a row the database rejects). Each
is restored with ``--force`` into a populated database, and afterwards every table of that
database must hash to exactly what it hashed to before: row for row, on both backends.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.ops import backup, restore
from evalledger.ops.canonical import table_digests
from evalledger.sdk.ledger import Ledger
from tests.conftest import adrop_pg_database
from tests.integration.test_backup_restore import fresh_database
from tests.support.cli import run_cli
from tests.support.populate import populate


@pytest.fixture
async def populated(ledger: Ledger) -> AsyncIterator[Ledger]:
    await populate(ledger)
    yield ledger


async def digests(db: Database) -> dict[str, Any]:
    async with backup.snapshot(db) as conn:
        return await table_digests(conn, db.dialect_name)


def rewrite(
    source: Path,
    target: Path,
    *,
    members: Callable[[dict[str, bytes]], dict[str, bytes]] = lambda m: m,
) -> Path:
    """Copy a logical archive, letting ``members`` edit its ``{name: bytes}`` contents."""
    with zipfile.ZipFile(source) as src:
        contents = {name: src.read(name) for name in src.namelist()}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name, data in members(dict(contents)).items():
            dst.writestr(name, data)
    return target


def with_manifest(edit: Callable[[dict[str, Any]], dict[str, Any]]):  # type: ignore[no-untyped-def]
    def apply(contents: dict[str, bytes]) -> dict[str, bytes]:
        contents["manifest.json"] = json.dumps(edit(json.loads(contents["manifest.json"])))
        return contents

    return apply


def resealed(table: str, change: Callable[[list[str]], list[str]]):  # type: ignore[no-untyped-def]
    """Edit a member's lines and fix the manifest up to match: checksums alone cannot tell."""

    def apply(contents: dict[str, bytes]) -> dict[str, bytes]:
        name = f"tables/{table}.jsonl"
        lines = change(contents[name].decode().splitlines())
        contents[name] = "".join(f"{line}\n" for line in lines).encode()
        manifest = json.loads(contents["manifest.json"])
        sha = hashlib.sha256(contents[name]).hexdigest()
        manifest["tables"][table] = {"rows": len(lines), "sha256": sha}
        contents["manifest.json"] = json.dumps(manifest).encode()
        return contents

    return apply


def _flip_a_byte(path: Path, target: Path) -> Path:
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("tables/agent_metrics.jsonl")
    # Inside the compressed data of one member (past its local header, whose name and
    # extra-field lengths are at offsets 26 and 28): the CRC (or inflate) must catch it.
    header = info.header_offset
    name_len, extra_len = (
        int.from_bytes(data[header + i : header + i + 2], "little") for i in (26, 28)
    )
    at = header + 30 + name_len + extra_len + 10
    data[at] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def _swap(contents: dict[str, bytes]) -> dict[str, bytes]:
    a, b = "tables/agent_metrics.jsonl", "tables/custody_test_results.jsonl"
    contents[a], contents[b] = contents[b], contents[a]
    return contents


def _drop(contents: dict[str, bytes]) -> dict[str, bytes]:
    del contents["tables/claims.jsonl"]
    return contents


def _extra_member(contents: dict[str, bytes]) -> dict[str, bytes]:
    contents["tables/intruder.jsonl"] = b'{"id":"x"}\n'
    return contents


def _drop_a_table(manifest: dict[str, Any]) -> dict[str, Any]:
    del manifest["tables"]["api_keys"]
    return manifest


def _extra_table(manifest: dict[str, Any]) -> dict[str, Any]:
    manifest["tables"]["intruder"] = {"rows": 0, "sha256": hashlib.sha256(b"").hexdigest()}
    return manifest


def _bad_revision(manifest: dict[str, Any]) -> dict[str, Any]:
    manifest["schema_revision"] = "9999"
    return manifest


def refused_archives(good: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    """``{case: (archive, words the one-line refusal must contain)}``."""
    cases: dict[str, tuple[Path, str]] = {}

    def add(case: str, words: str, **kw: Any) -> None:
        cases[case] = (rewrite(good, tmp / f"{case}.zip", **kw), words)

    add("empty-manifest", "manifest", members=with_manifest(lambda m: {}))
    add("no-tables", "lists no table", members=with_manifest(lambda m: {**m, "tables": {}}))
    add("one-table-missing", "api_keys", members=with_manifest(_drop_a_table))
    add("extra-table", "intruder", members=with_manifest(_extra_table))
    add("unknown-revision", "9999", members=with_manifest(_bad_revision))
    add("swapped-members", "agent_metrics", members=_swap)
    add("missing-member", "tables/claims.jsonl", members=_drop)
    add("member-outside-manifest", "tables/intruder.jsonl", members=_extra_member)
    add(
        "unknown-column",
        "no column",
        members=resealed("claims", lambda ls: [ls[0][:-1] + ',"evil":1}', *ls[1:]]),
    )
    # Checksums all agree, and the database itself refuses a row (a duplicate primary key):
    # the one transaction rolls back.
    add("rejected-row", "rejected by the database", members=resealed("claims", lambda ls: ls + ls))
    cases["flipped-byte"] = (_flip_a_byte(good, tmp / "flipped.zip"), "corrupt")
    truncated = tmp / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    cases["truncated"] = (truncated, "truncated.zip")
    garbage = tmp / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04 and then nothing an archive should hold")
    cases["garbage"] = (garbage, "garbage.zip")
    return cases


async def test_every_refused_archive_leaves_the_target_untouched(
    populated: Ledger, tmp_path: Path
) -> None:
    good = await backup.create(populated.db, tmp_path / "backups")
    before = await digests(populated.db)
    for case, (archive, words) in refused_archives(good, tmp_path).items():
        try:
            await restore.restore(populated.db, archive, force=True)
        except ValidationFailed as refused:
            message = refused.message
        else:
            raise AssertionError(f"{case}: restored although it must be refused")
        assert words in message, f"{case}: {message}"
        assert "\n" not in message, f"{case}: one line, got {message!r}"
        assert await digests(populated.db) == before, f"{case} changed the target"
    # The good archive still restores (the refusals left nothing locked or half-open).
    result = await restore.restore(populated.db, good, force=True)
    assert result.verified and await digests(populated.db) == before


async def test_a_refused_archive_leaves_an_empty_target_without_a_schema(
    populated: Ledger, backend: str, tmp_path: Path
) -> None:
    good = await backup.create(populated.db, tmp_path / "backups")
    bad = rewrite(good, tmp_path / "bad.zip", members=resealed("claims", lambda ls: ls + ls))
    db, name = await fresh_database(backend, tmp_path)
    try:
        with pytest.raises(ValidationFailed):
            await restore.restore(db, bad)
        assert await migrate.current_revision(db) is None, "the schema was left behind"
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert tables == []
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)


async def test_cli_refuses_with_one_line_and_exit_1(populated: Ledger, tmp_path: Path) -> None:
    good = await backup.create(populated.db, tmp_path / "backups")
    before = await digests(populated.db)
    url = populated.settings.database_url
    for case in ("empty-manifest", "no-tables", "extra-table", "flipped-byte", "truncated"):
        archive, words = refused_archives(good, tmp_path)[case]
        code, out, err = await run_cli(url, "backup", "restore", str(archive), "--force")
        assert code == 1, f"{case}: exit {code}\n{out}{err}"
        assert "Traceback" not in err and "verified" not in out, f"{case}: {out}{err}"
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and words in lines[0], f"{case}: {err!r}"
    assert await digests(populated.db) == before


def before_runs(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's tables without those revision 0008 added (a backup taken at 0007)."""
    return {k: v for k, v in manifest["tables"].items() if not k.startswith("eval_")}


async def test_a_target_at_another_revision_is_refused_with_what_to_run(
    populated: Ledger, tmp_path: Path
) -> None:
    good = await backup.create(populated.db, tmp_path / "backups")
    old = rewrite(
        good,
        tmp_path / "old.zip",
        members=with_manifest(lambda m: {**m, "schema_revision": "0007", "tables": before_runs(m)}),
    )
    before = await digests(populated.db)
    with pytest.raises(ConflictError, match=r"0007.*evalledger db downgrade 0007"):
        await restore.restore(populated.db, old, force=True)
    assert await digests(populated.db) == before


def test_unique_component_in_backup_names() -> None:
    names = {backup.unique_name("x", ".zip") for _ in range(1000)}
    assert len(names) == 1000
    assert all(n.startswith("x") and n.endswith(".zip") for n in names)
