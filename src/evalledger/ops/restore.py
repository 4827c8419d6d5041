"""Restore a backup, then prove it: counts and checksums recomputed from the database.

A logical restore runs in one transaction: the archive is checked as it is read (each table's
lines must hash to the manifest's SHA-256 before anything commits), so a corrupted or
truncated archive is refused with nothing written, and a restore killed midway leaves the
target as it was (run it again). Logical backups restore across backends.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger.db import migrate
from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.db.engine import Database
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.ops.backup import (
    Progress,
    _run_tool,
    libpq_url,
    read_manifest,
    snapshot,
    sqlite_path,
)
from evalledger.ops.canonical import Digest, backup_tables, decode_row, table_digests

INSERT_CHUNK = 1000


@dataclass
class RestoreResult:
    path: Path
    format: str
    rows: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    mismatches: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    """``logical``, ``pg_native`` or ``sqlite_native`` from the file's first bytes."""
    if not path.exists():
        raise ValidationFailed(f"{path} does not exist", field="file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK"):
        return "logical"
    if head.startswith(b"PGDMP"):
        return "pg_native"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite_native"
    raise ValidationFailed(f"{path} is not an evalledger backup (unknown format)", field="file")


async def user_rows(conn: AsyncConnection) -> int:
    """Rows a user put there: everything except the default project a fresh schema has."""
    total = 0
    for table in backup_tables():
        query = select(func.count()).select_from(table)
        if table.name == "projects":
            query = query.where(table.c.id != DEFAULT_PROJECT_ID)
        total += int((await conn.execute(query)).scalar_one())
    return total


async def _prepare_schema(db: Database, manifest: dict[str, Any]) -> None:
    revision = manifest.get("schema_revision")
    current = await migrate.current_revision(db)
    if revision and current != revision:
        wanted = set(str(revision).split(","))
        have = set((current or "").split(",")) - {""}
        if have and not have <= wanted and have != wanted:
            raise ConflictError(
                f"the target database is at schema {current}, the backup at {revision}: "
                "restore into an empty database or one at the backup's revision"
            )
        for rev in sorted(wanted):
            await migrate.upgrade(db, rev)


async def restore(
    db: Database, path: Path, *, force: bool = False, progress: Progress | None = None
) -> RestoreResult:
    fmt = detect_format(path)
    manifest = read_manifest(path)
    expected_backend = {"pg_native": "postgresql", "sqlite_native": "sqlite"}.get(fmt)
    if expected_backend and expected_backend != db.dialect_name:
        raise ValidationFailed(
            f"a native {expected_backend} backup cannot be restored into {db.dialect_name}; "
            "use a logical backup (evalledger backup create --format logical) to move backends"
        )
    if fmt == "logical":
        await _prepare_schema(db, manifest)
    else:
        await migrate.upgrade(db)
    async with db.engine.connect() as conn:
        if await user_rows(conn) and not force:
            raise ConflictError(
                "the target database is not empty: pass --force to replace its contents"
            )
    result = RestoreResult(path=path, format=fmt)
    if fmt == "logical":
        await _restore_logical(db, path, manifest, result, progress)
        await migrate.upgrade(db)  # a backup from an older version comes up to date
    elif fmt == "pg_native":
        await _run_tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={libpq_url(db)}",
            str(path),
        )
    else:
        await db.dispose()
        await asyncio.to_thread(_sqlite_restore, path, sqlite_path(db))
    await verify_against(db, manifest, result)
    return result


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


async def _restore_logical(
    db: Database,
    path: Path,
    manifest: dict[str, Any],
    result: RestoreResult,
    progress: Progress | None,
) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ValidationFailed(f"{path} is corrupted: {exc}") from exc
    with archive:
        bad = _first_corrupt_member(archive)
        if bad is not None:
            raise ValidationFailed(f"{path} is corrupted: member {bad} fails its CRC check")
        expected = manifest.get("tables", {})
        async with db.write_connection() as conn:
            await _relax_foreign_keys(conn, db)
            for table in reversed(backup_tables()):
                await conn.execute(table.delete())
            for table in backup_tables():
                if table.name not in expected:
                    continue
                digest = await _load_table(conn, archive, table, progress)
                want = expected[table.name]
                if digest.rows != want["rows"] or digest.hexdigest != want["sha256"]:
                    raise ValidationFailed(
                        f"{path} is corrupted: table {table.name} has {digest.rows} rows "
                        f"hashing to {digest.hexdigest[:12]}…, the manifest says "
                        f"{want['rows']} rows, {str(want['sha256'])[:12]}…; nothing restored"
                    )
                result.rows[table.name] = digest.rows


def _first_corrupt_member(archive: zipfile.ZipFile) -> str | None:
    try:
        return archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return f"? ({exc})"


async def _relax_foreign_keys(conn: AsyncConnection, db: Database) -> None:
    """Let rows arrive in any order within the transaction (self-references, cycles)."""
    if db.is_sqlite:
        await conn.execute(text("PRAGMA defer_foreign_keys = ON"))
        return
    try:
        async with conn.begin_nested():
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:
        pass


async def _load_table(
    conn: AsyncConnection, archive: zipfile.ZipFile, table: Any, progress: Progress | None
) -> Digest:
    digest = Digest()
    batch: list[dict[str, Any]] = []
    name = f"tables/{table.name}.jsonl"
    try:
        member = archive.open(name)
    except KeyError:
        raise ValidationFailed(f"the archive lacks {name}") from None
    with member:
        for raw in member:
            line = raw.decode("utf-8").rstrip("\n")
            if not line:
                continue
            digest.add(line)
            try:
                batch.append(decode_row(table, json.loads(line)))
            except ValueError as exc:
                raise ValidationFailed(
                    f"{name} line {digest.rows}: {exc}; nothing restored"
                ) from exc
            if len(batch) >= INSERT_CHUNK:
                await conn.execute(table.insert(), batch)
                batch = []
                if progress:
                    progress(table.name, digest.rows)
    if batch:
        await conn.execute(table.insert(), batch)
    if progress:
        progress(table.name, digest.rows)
    return digest


async def verify_against(db: Database, manifest: dict[str, Any], result: RestoreResult) -> None:
    """Recompute every table's count and checksum from the database; compare to the manifest."""
    async with snapshot(db) as conn:
        actual = await table_digests(conn, db.dialect_name)
    for table, want in manifest.get("tables", {}).items():
        got = actual.get(table)
        if got is None:
            result.mismatches.append(f"{table}: missing after restore")
        elif got["rows"] != want["rows"]:
            result.mismatches.append(f"{table}: {got['rows']} rows, manifest {want['rows']}")
        elif got["sha256"] != want["sha256"]:
            result.mismatches.append(f"{table}: checksum differs from the manifest")
        else:
            result.rows[table] = got["rows"]
    result.verified = not result.mismatches
