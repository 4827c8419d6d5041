"""Backups: ``logical`` (portable, any backend) and ``native`` (pg_dump / SQLite backup API).

A logical backup is one ZIP archive (deflate-compressed, written as a stream so memory stays
flat whatever the table sizes) holding ``tables/<name>.jsonl`` (canonical rows, primary-key
order) and ``manifest.json``: format version, schema revision, tool version, created_at, the
source backend, and per table its row count and the SHA-256 of its canonical rows. The rows
are read in one repeatable-read snapshot, so the archive is a consistent point in time.

A native backup is the database's own format plus a ``.manifest.json`` beside it carrying the
same counts and checksums, so a native restore is verified the same way as a logical one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger._version import __version__
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.errors import ValidationFailed
from evalledger.ops.canonical import (
    Digest,
    backup_tables,
    canonical_line,
    stream_rows,
    table_digests,
)
from evalledger.redact import redact

FORMAT_VERSION = 1
PREFIX = "evalledger-backup-"
LOGICAL_SUFFIX = ".zip"
PG_NATIVE_SUFFIX = ".pgdump"
SQLITE_NATIVE_SUFFIX = ".sqlite"
MANIFEST_SUFFIX = ".manifest.json"

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    format: str
    manifest: dict[str, Any]

    @property
    def total_rows(self) -> int:
        return sum(t["rows"] for t in self.manifest.get("tables", {}).values())


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def libpq_url(db: Database) -> str:
    """The database URL as libpq tools (pg_dump, pg_restore) spell it."""
    url = make_url(db.settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def sqlite_path(db: Database) -> Path:
    database = make_url(db.settings.database_url).database
    if not database or database == ":memory:":
        raise ValidationFailed("an in-memory SQLite database cannot be backed up natively")
    return Path(database)


@asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[AsyncConnection]:
    """A read-only connection whose reads all see one point in time.

    PostgreSQL: a REPEATABLE READ transaction. SQLite (WAL): one read transaction, which sees
    the database as of its first read while writers carry on.
    """
    async with db.engine.connect() as conn:
        if db.is_postgres:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            yield conn


async def _manifest_base(db: Database, fmt: str) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "format": fmt,
        "tool_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "backend": db.dialect_name,
        "schema_revision": await migrate.current_revision(db),
    }


async def create_logical(db: Database, output_dir: Path, progress: Progress | None = None) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    final = output_dir / f"{PREFIX}{_stamp()}{LOGICAL_SUFFIX}"
    partial = final.with_suffix(".partial")
    manifest = await _manifest_base(db, "logical")
    tables: dict[str, dict[str, Any]] = {}
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            async with snapshot(db) as conn:
                for table in backup_tables():
                    digest = Digest()
                    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as out:
                        async for row in stream_rows(conn, table, db.dialect_name):
                            line = canonical_line(row)
                            digest.add(line)
                            out.write(line.encode("utf-8") + b"\n")
                            if progress and digest.rows % 5000 == 0:
                                progress(table.name, digest.rows)
                    tables[table.name] = {"rows": digest.rows, "sha256": digest.hexdigest}
                    if progress:
                        progress(table.name, digest.rows)
            manifest["tables"] = tables
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return final


async def create_native(db: Database, output_dir: Path) -> Path:
    """``pg_dump -Fc`` on PostgreSQL, the online backup API on SQLite; plus a manifest."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    manifest = await _manifest_base(db, "native")
    if db.is_postgres:
        target = output_dir / f"{PREFIX}{stamp}{PG_NATIVE_SUFFIX}"
        await _run_tool(
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            libpq_url(db),
        )
    else:
        target = output_dir / f"{PREFIX}{stamp}{SQLITE_NATIVE_SUFFIX}"
        await asyncio.to_thread(_sqlite_online_backup, sqlite_path(db), target)
    # Checksums come from the database right after the dump; with no writers in between (as
    # for any backup you mean to verify) they describe exactly what the dump holds.
    async with snapshot(db) as conn:
        manifest["tables"] = await table_digests(conn, db.dialect_name)
    Path(f"{target}{MANIFEST_SUFFIX}").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return target


def _sqlite_online_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()


async def _run_tool(*args: str) -> str:
    if shutil.which(args[0]) is None:
        raise ValidationFailed(f"{args[0]} is not installed; use --format logical")
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        # libpq may quote the connection string it was given (the URL, password included).
        detail = redact(err.decode(errors="replace").strip())[:500]
        raise ValidationFailed(f"{args[0]} failed: {detail}")
    return out.decode(errors="replace")


async def create(
    db: Database,
    output_dir: Path,
    fmt: Literal["logical", "native"] = "logical",
    keep: int | None = None,
    progress: Progress | None = None,
) -> Path:
    path = (
        await create_logical(db, output_dir, progress)
        if fmt == "logical"
        else await create_native(db, output_dir)
    )
    if keep is not None:
        rotate(output_dir, keep)
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file (inside a logical archive, beside a native dump)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            try:
                return dict(json.loads(archive.read("manifest.json")))
            except KeyError:
                raise ValidationFailed(
                    f"{path} has no manifest.json: not an evalledger backup"
                ) from None
    sidecar = Path(f"{path}{MANIFEST_SUFFIX}")
    if not sidecar.exists():
        raise ValidationFailed(f"{path} has no manifest ({sidecar.name} is missing)")
    return dict(json.loads(sidecar.read_text()))


def list_backups(directory: Path) -> list[BackupInfo]:
    """Backups in ``directory``, newest first (files that are not backups are ignored)."""
    found = []
    if not directory.exists():
        return []
    for path in directory.iterdir():
        if not path.name.startswith(PREFIX) or path.name.endswith((MANIFEST_SUFFIX, ".partial")):
            continue
        try:
            manifest = read_manifest(path)
        except (ValidationFailed, ValueError, zipfile.BadZipFile):
            continue
        found.append(BackupInfo(path, str(manifest.get("format", "?")), manifest))
    return sorted(found, key=lambda b: b.path.name, reverse=True)


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (and their manifests); returns the deleted."""
    if keep < 1:
        raise ValidationFailed("--keep must be at least 1", field="keep")
    removed = []
    for info in list_backups(directory)[keep:]:
        info.path.unlink(missing_ok=True)
        Path(f"{info.path}{MANIFEST_SUFFIX}").unlink(missing_ok=True)
        removed.append(info.path)
    return removed
