"""Backups: ``logical`` (portable), ``native`` (the database's own format), ``sql`` (plain SQL).

A logical backup is one ZIP archive (deflate-compressed, written as a stream so memory stays
flat whatever the table sizes) holding ``tables/<name>.jsonl`` (canonical rows, primary-key
order) and ``manifest.json``: format version, schema revision, tool version, created_at, the
source backend, and per table its row count and the SHA-256 of its canonical rows. The rows
are read in one repeatable-read snapshot, so the archive is a consistent point in time. It
holds the tables and columns of the revision the database is at, so the backup that the
upgrade message asks for works on an old schema too.

A native backup is the database's own format (``pg_dump -Fc``; on SQLite a gzip-compressed
copy made with the online backup API), a ``sql`` backup is plain SQL (``pg_dump``'s plain
format; SQLite's ``iterdump``) that ``psql`` or ``sqlite3`` load. Both carry a
``.manifest.json`` beside them with the same counts and checksums plus the file's own
SHA-256, all taken from the very snapshot that was dumped (``pg_dump --snapshot``; on SQLite
the consistent copy itself).

Every backup gets a name no other backup can have (time to the microsecond plus a random
part) and appears under it only once it is whole on disk (:mod:`evalledger.files`).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger._version import __version__
from evalledger.db.engine import Database
from evalledger.errors import ValidationFailed
from evalledger.files import new_file, publish, storage_errors, temporary_beside, unique_name
from evalledger.ops.canonical import Digest, canonical_line, stream_rows, table_digests
from evalledger.ops.manifest import FORMAT_VERSION
from evalledger.ops.schema_at import Shape, revision_of, shapes_at
from evalledger.redact import redact

PREFIX = "evalledger-backup-"
LOGICAL_SUFFIX = ".zip"
PG_NATIVE_SUFFIX = ".pgdump"
SQLITE_NATIVE_SUFFIX = ".sqlite.gz"
OLD_SQLITE_NATIVE_SUFFIX = ".sqlite"  # uncompressed, before 0.x: still listed and restored
SQL_SUFFIX = ".sql"
MANIFEST_SUFFIX = ".manifest.json"
_FILE_CHUNK = 1 << 20

Progress = Callable[[str, int], None]
Format = Literal["logical", "native", "sql"]
FORMATS: tuple[str, ...] = ("logical", "native", "sql")

__all__ = ["FORMAT_VERSION", "BackupInfo", "create", "list_backups", "read_manifest", "rotate"]


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    format: str
    manifest: dict[str, Any]

    @property
    def total_rows(self) -> int:
        tables = self.manifest.get("tables", {})
        return sum(int(t.get("rows", 0)) for t in tables.values() if isinstance(t, dict))


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


async def snapshot_shapes(conn: AsyncConnection) -> tuple[str, list[Shape]]:
    """The revision the snapshot's database is at, and the tables (columns) it has there."""
    revision = await conn.run_sync(revision_of)
    if not revision:
        raise ValidationFailed("the database has no schema yet: nothing to back up")
    return revision, shapes_at(revision)


def _pairs(shapes: list[Shape]) -> list[tuple[Any, tuple[str, ...]]]:
    return [(s.table, s.columns) for s in shapes]


def _manifest_base(db: Database, fmt: str, revision: str) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "format": fmt,
        "tool_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "backend": db.dialect_name,
        "schema_revision": revision,
    }


def _dump_manifest(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")


async def create_logical(db: Database, output_dir: Path, progress: Progress | None = None) -> Path:
    final = output_dir / unique_name(PREFIX, LOGICAL_SUFFIX)
    async with snapshot(db) as conn:
        revision, shapes = await snapshot_shapes(conn)
        manifest = _manifest_base(db, "logical", revision)
        tables: dict[str, dict[str, Any]] = {}
        with (
            new_file(final) as fh,
            zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            for shape in shapes:
                digest = Digest()
                with archive.open(f"tables/{shape.name}.jsonl", "w", force_zip64=True) as out:
                    async for row in stream_rows(conn, shape.table, db.dialect_name, shape.columns):
                        line = canonical_line(row)
                        digest.add(line)
                        out.write(line.encode("utf-8") + b"\n")
                        if progress and digest.rows % 5000 == 0:
                            progress(shape.name, digest.rows)
                tables[shape.name] = {"rows": digest.rows, "sha256": digest.hexdigest}
                if progress:
                    progress(shape.name, digest.rows)
            manifest["tables"] = tables
            archive.writestr("manifest.json", _dump_manifest(manifest))
    return final


def file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_FILE_CHUNK):
            sha.update(block)
    return sha.hexdigest()


def _publish_with_manifest(temporary: Path, final: Path, manifest: dict[str, Any]) -> Path:
    """Sidecar first, then the dump: a crash in between leaves only an ignored manifest."""
    manifest["file_sha256"] = file_sha256(temporary)
    with new_file(Path(f"{final}{MANIFEST_SUFFIX}")) as fh:
        fh.write(_dump_manifest(manifest))
    publish(temporary, final)
    return final


def _destination(output_dir: Path, suffix: str, *, scratch_files: int) -> tuple[Path, list[Path]]:
    """A new backup's final name and its scratch files beside it (``output_dir`` is created);
    a storage failure names the backup file."""
    final = output_dir / unique_name(PREFIX, suffix)
    with storage_errors(str(final)):
        output_dir.mkdir(parents=True, exist_ok=True)
        return final, [temporary_beside(final) for _ in range(scratch_files)]


async def _pg_dump(db: Database, output_dir: Path, fmt: str) -> Path:
    """``pg_dump`` of exactly the snapshot the manifest's checksums are computed in."""
    suffix = PG_NATIVE_SUFFIX if fmt == "native" else SQL_SUFFIX
    final, (temporary,) = _destination(output_dir, suffix, scratch_files=1)
    try:
        async with snapshot(db) as conn:
            exported = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
            revision, shapes = await snapshot_shapes(conn)
            manifest = _manifest_base(db, fmt, revision)
            await _run_tool(
                "pg_dump",
                "--format=custom" if fmt == "native" else "--format=plain",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={exported}",
                f"--file={temporary}",
                libpq_url(db),
            )
            manifest["tables"] = await table_digests(conn, db.dialect_name, _pairs(shapes))
        with storage_errors(str(final)):
            return _publish_with_manifest(temporary, final, manifest)
    finally:
        temporary.unlink(missing_ok=True)


async def _sqlite_dump(db: Database, output_dir: Path, fmt: str) -> Path:
    """A consistent copy (online backup API), checksummed, then compressed or written as SQL."""
    suffix = SQLITE_NATIVE_SUFFIX if fmt == "native" else SQL_SUFFIX
    final, (copy, temporary) = _destination(output_dir, suffix, scratch_files=2)
    try:
        with storage_errors(str(final)):
            await asyncio.to_thread(_sqlite_online_backup, sqlite_path(db), copy)
        manifest = await _describe_sqlite_file(db, copy, fmt)
        with storage_errors(str(final)):
            writer = _gzip_file if fmt == "native" else _sql_file
            await asyncio.to_thread(writer, copy, temporary)
            return _publish_with_manifest(temporary, final, manifest)
    finally:
        for path in (copy, temporary, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
            path.unlink(missing_ok=True)


def open_sqlite_file(db: Database, path: Path) -> Database:
    """A :class:`Database` on another SQLite file, with ``db``'s settings otherwise."""
    settings = db.settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{path}"})
    return Database(settings)


async def _describe_sqlite_file(db: Database, path: Path, fmt: str) -> dict[str, Any]:
    copy = open_sqlite_file(db, path)
    try:
        async with snapshot(copy) as conn:
            revision, shapes = await snapshot_shapes(conn)
            manifest = _manifest_base(db, fmt, revision)
            manifest["tables"] = await table_digests(conn, copy.dialect_name, _pairs(shapes))
        return manifest
    finally:
        await copy.dispose()


def _gzip_file(source: Path, target: Path) -> None:
    with source.open("rb") as src, target.open("wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
            shutil.copyfileobj(src, out, _FILE_CHUNK)
        raw.flush()


def _sql_file(source: Path, target: Path) -> None:
    conn = sqlite3.connect(source)
    try:
        with target.open("w", encoding="utf-8") as out:
            for statement in conn.iterdump():
                out.write(statement + "\n")
    finally:
        conn.close()


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
        message = redact(" ".join(err.decode(errors="replace").split()))[:500]
        raise ValidationFailed(f"{args[0]} failed: {message}")
    return out.decode(errors="replace")


async def create_native(db: Database, output_dir: Path) -> Path:
    """``pg_dump -Fc`` on PostgreSQL, a gzip-compressed online copy on SQLite; plus a manifest."""
    if db.is_postgres:
        return await _pg_dump(db, output_dir, "native")
    return await _sqlite_dump(db, output_dir, "native")


async def create_sql(db: Database, output_dir: Path) -> Path:
    """Plain SQL: ``pg_dump``'s plain format, or SQLite's ``iterdump``; plus a manifest."""
    if db.is_postgres:
        return await _pg_dump(db, output_dir, "sql")
    return await _sqlite_dump(db, output_dir, "sql")


async def create(
    db: Database,
    output_dir: Path,
    fmt: Format = "logical",
    keep: int | None = None,
    progress: Progress | None = None,
) -> Path:
    if fmt == "logical":
        path = await create_logical(db, output_dir, progress)
    elif fmt == "native":
        path = await create_native(db, output_dir)
    elif fmt == "sql":
        path = await create_sql(db, output_dir)
    else:
        raise ValidationFailed(f"unknown backup format {fmt!r}: use {', '.join(FORMATS)}")
    if keep is not None:
        rotate(output_dir, keep)
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup file (inside a logical archive, beside a native dump).

    Whatever is wrong with the file (missing, truncated, not JSON) is one line naming it.
    """
    name = path.name
    if not path.is_file():
        raise ValidationFailed(f"{path} does not exist", field="file")
    try:
        if path.suffix == LOGICAL_SUFFIX or _starts_with(path, b"PK"):
            with zipfile.ZipFile(path) as archive:
                try:
                    raw = archive.read("manifest.json")
                except KeyError:
                    raise ValidationFailed(
                        f"{name} has no manifest.json: not an evalledger backup", field="file"
                    ) from None
        else:
            sidecar = Path(f"{path}{MANIFEST_SUFFIX}")
            if not sidecar.exists():
                raise ValidationFailed(
                    f"{name} has no manifest ({sidecar.name} is missing)", field="file"
                )
            raw = sidecar.read_bytes()
        manifest = json.loads(raw)
    except ValidationFailed:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValidationFailed(
            f"{name} is corrupt or truncated ({_reason(exc)}); refused, nothing written",
            field="file",
        ) from None
    if not isinstance(manifest, dict):
        raise ValidationFailed(f"{name}: the manifest is not a JSON object", field="file")
    return manifest


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _starts_with(path: Path, magic: bytes) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(magic)) == magic


def is_backup_name(name: str) -> bool:
    return name.startswith(PREFIX) and name.endswith(
        (
            LOGICAL_SUFFIX,
            PG_NATIVE_SUFFIX,
            SQLITE_NATIVE_SUFFIX,
            OLD_SQLITE_NATIVE_SUFFIX,
            SQL_SUFFIX,
        )
    )


def list_backups(directory: Path) -> list[BackupInfo]:
    """Backups in ``directory``, newest first (files that are not backups are ignored)."""
    found = []
    if not directory.is_dir():
        return []
    for path in directory.iterdir():
        if not is_backup_name(path.name):
            continue
        try:
            manifest = read_manifest(path)
        except ValidationFailed:
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
