"""Restore a backup: check everything first, then replace the target in one transaction.

The order is what makes a restore safe:

1. The manifest must be complete for the schema revision it names (every table of that
   revision, each with a row count and a SHA-256; :mod:`evalledger.ops.manifest`).
2. The archive is read through once without writing: no member outside the manifest, none
   missing, every member's rows hashing to the manifest's checksum, every row decodable.
   A native SQLite file is unpacked beside the target and checked the same way; a native
   PostgreSQL dump must match the SHA-256 its manifest records for the file.
3. The target's revision must be the archive's (an empty target is brought to it).
4. Then, in ONE transaction: schema (if needed), delete, insert, recompute every table's
   count and checksum from the database and compare with the manifest, upgrade to the head.
   Any failure (a row the database refuses, a mismatch, a kill) rolls the whole of it back,
   so the target is exactly as it was. Only then does anything commit.

Every refusal is one line naming the file and the problem.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger.db import migrate
from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.db.engine import Database
from evalledger.errors import ConflictError, ValidationFailed
from evalledger.files import storage_errors, temporary_beside
from evalledger.ops import manifest as manifests
from evalledger.ops.backup import (
    MANIFEST_SUFFIX,
    Progress,
    _run_tool,
    file_sha256,
    libpq_url,
    open_sqlite_file,
    read_manifest,
    snapshot,
    sqlite_path,
)
from evalledger.ops.canonical import Digest, backup_tables, decode_row, table_digests
from evalledger.ops.schema_at import Shape, order, revision_of, shapes_at

INSERT_CHUNK = 1000
REFUSED = manifests.REFUSED
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, UnicodeDecodeError)


@dataclass
class RestoreResult:
    path: Path
    format: str
    rows: dict[str, int] = field(default_factory=dict)
    verified: bool = False
    mismatches: list[str] = field(default_factory=list)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def detect_format(path: Path) -> str:
    """``logical``, ``pg_native``, ``sqlite_native`` (plain or gzip) from the file's bytes."""
    if not path.is_file():
        raise ValidationFailed(f"{path} does not exist", field="file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK"):
        return "logical"
    if head.startswith(b"PGDMP"):
        return "pg_native"
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite_native"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as unpacked:
                inner = unpacked.read(16)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValidationFailed(
                f"{path.name} is corrupt or truncated ({_reason(exc)}); {REFUSED}", field="file"
            ) from None
        if inner.startswith(b"SQLite format 3\x00"):
            return "sqlite_native"
    if path.suffix == ".sql":
        raise ValidationFailed(
            f"{path.name} is a plain-SQL backup: load it into a new, empty database with "
            f"`psql -d URL -f {path.name}` (PostgreSQL) or `sqlite3 NEW.db < {path.name}` "
            "(SQLite), then run `evalledger verify`",
            field="file",
        )
    raise ValidationFailed(f"{path} is not an evalledger backup (unknown format)", field="file")


async def user_rows(conn: AsyncConnection, shapes: list[Shape] | None = None) -> int:
    """Rows a user put there: everything except the default project a fresh schema has."""
    tables = [s.table for s in shapes] if shapes is not None else backup_tables()
    total = 0
    for table in tables:
        query = select(func.count()).select_from(table)
        if table.name == "projects":
            query = query.where(table.c.id != DEFAULT_PROJECT_ID)
        total += int((await conn.execute(query)).scalar_one())
    return total


@dataclass(frozen=True)
class Target:
    revision: str | None
    rows: int


async def inspect_target(db: Database) -> Target:
    async with db.engine.connect() as conn:
        revision = await conn.run_sync(revision_of)
        if revision is None:
            return Target(None, 0)
        return Target(revision, await user_rows(conn, shapes_at(revision)))


def needs_migration(archive: str, target: Target, *, force: bool) -> bool:
    """Whether the target must be brought to the archive's revision (pure decision).

    A target holding data must be at the archive's revision already: changing the schema
    of a database we are asked to replace is the user's call, so say what to run.
    """
    if target.rows and not force:
        raise ConflictError(
            "the target database is not empty: pass --force to replace its contents"
        )
    if target.revision == archive:
        return False
    if target.revision is None or not target.rows:
        return True
    raise ConflictError(_revision_advice(archive, target.revision))


def _revision_advice(archive: str, target: str) -> str:
    a, t = order(archive), order(target)
    verb = "downgrade" if a is not None and t is not None and a < t else "upgrade"
    return (
        f"the archive is at schema revision {archive}, the target database at {target}: "
        f"restore into an empty database (it is created at {archive} and upgraded), or run "
        f"`evalledger db {verb} {archive}` on the target first"
    )


async def restore(
    db: Database, path: Path, *, force: bool = False, progress: Progress | None = None
) -> RestoreResult:
    fmt = detect_format(path)
    manifest = read_manifest(path)
    shapes = manifests.checked(manifest, path.name)
    expected_backend = {"pg_native": "postgresql", "sqlite_native": "sqlite"}.get(fmt)
    if expected_backend and expected_backend != db.dialect_name:
        raise ValidationFailed(
            f"a native {expected_backend} backup cannot be restored into {db.dialect_name}; "
            "use a logical backup (evalledger backup create --format logical) to move backends"
        )
    result = RestoreResult(path=path, format=fmt)
    if fmt == "logical":
        # The target's revision first: it is cheap, and a mismatch is refused whatever the
        # members hold (with the command that would make them fit).
        target = await inspect_target(db)
        migrate_first = needs_migration(manifest["schema_revision"], target, force=force)
        await asyncio.to_thread(verify_archive, path, manifest, shapes)
        await _restore_logical(db, path, manifest, shapes, migrate_first, result, progress)
    else:
        # A native dump is one opaque file: its checksum is the first check either way.
        _check_file_checksum(path, manifest)
        native = _restore_sqlite_native if fmt == "sqlite_native" else _restore_pg_native
        await native(db, path, manifest, shapes, force, result)
    return result


# -- logical ---------------------------------------------------------------------------


def _open_archive(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValidationFailed(
            f"{path.name} is corrupt or truncated ({_reason(exc)}); {REFUSED}", field="file"
        ) from None


def _member(shape: Shape) -> str:
    return f"tables/{shape.name}.jsonl"


def check_members(names: list[str], shapes: list[Shape]) -> str | None:
    """What is wrong with an archive's member list, if anything (pure)."""
    if len(names) != len(set(names)):
        twice = sorted({n for n in names if names.count(n) > 1})
        return f"the archive holds {', '.join(twice)} more than once"
    expected = {"manifest.json"} | {_member(s) for s in shapes}
    outside = sorted(set(names) - expected)
    if outside:
        return f"the archive holds {', '.join(outside[:5])}, which its manifest does not list"
    missing = [_member(s) for s in shapes if _member(s) not in names]
    if missing:
        return f"the archive lacks {', '.join(missing[:5])}, which its manifest lists"
    return None


def _rows(member: IO[bytes], shape: Shape, digest: Digest) -> Any:
    """Decoded rows of one member, hashed into ``digest`` as they are read."""
    allowed = set(shape.columns)
    for raw in member:
        line = raw.decode("utf-8").rstrip("\n")
        if not line:
            continue
        digest.add(line)
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("a row is not a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(f"table {shape.name} has no column {unknown[0]!r}")
        yield decode_row(shape.table, data)


def verify_archive(path: Path, manifest: dict[str, Any], shapes: list[Shape]) -> None:
    """Read the whole archive once, writing nothing: members, rows and checksums."""
    with _open_archive(path) as archive:
        problem = check_members(archive.namelist(), shapes)
        if problem:
            raise ValidationFailed(f"{path.name}: {problem}; {REFUSED}", field="file")
        for shape in shapes:
            digest = Digest()
            name = _member(shape)
            try:
                with archive.open(name) as member:
                    for _ in _rows(member, shape, digest):
                        pass
            except (*_READ_ERRORS, ValueError) as exc:
                raise ValidationFailed(
                    f"{path.name}: {name} is corrupt (line {digest.rows}: {_reason(exc)}); "
                    f"{REFUSED}",
                    field="file",
                ) from None
            differs = manifests.mismatch(
                name,
                {"rows": digest.rows, "sha256": digest.hexdigest},
                manifest["tables"][shape.name],
            )
            if differs:
                raise ValidationFailed(
                    f"{path.name}: {differs} (corrupt or tampered); {REFUSED}", field="file"
                )


def _migrate_sync(conn: Connection, db: Database, revision: str) -> None:
    """Bring the connection's database to ``revision`` (up or down) inside its transaction."""
    cfg = migrate.alembic_config(conn)
    cfg.attributes["app_role"] = db.settings.pg_app_role
    current = revision_of(conn)
    a = order(revision)
    c = order(current) if current else None
    if current and a is not None and c is not None and a < c:
        command.downgrade(cfg, revision)
    else:
        command.upgrade(cfg, revision)


def _upgrade_sync(conn: Connection, db: Database) -> None:
    cfg = migrate.alembic_config(conn)
    cfg.attributes["app_role"] = db.settings.pg_app_role
    command.upgrade(cfg, "heads")


async def _restore_logical(
    db: Database,
    path: Path,
    manifest: dict[str, Any],
    shapes: list[Shape],
    migrate_first: bool,
    result: RestoreResult,
    progress: Progress | None,
) -> None:
    revision = manifest["schema_revision"]
    with _open_archive(path) as archive:
        try:
            async with db.write_connection() as conn:
                if migrate_first:
                    await conn.run_sync(_migrate_sync, db, revision)
                if await conn.run_sync(revision_of) != revision:
                    raise ConflictError(
                        f"the target database moved away from schema revision {revision} "
                        "during the restore; nothing restored"
                    )
                await _relax_foreign_keys(conn, db)
                for shape in reversed(shapes):
                    await conn.execute(shape.table.delete())
                for shape in shapes:
                    await _load_table(conn, archive, path, shape, manifest, progress)
                await _verify_in_transaction(conn, db, path, manifest, shapes, result)
                await conn.run_sync(_upgrade_sync, db)
        except DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0][:300] if exc.orig else _reason(exc)
            raise ValidationFailed(
                f"{path.name}: rejected by the database ({first}); "
                "the restore was rolled back, the target is unchanged",
                field="file",
            ) from None


async def _load_table(
    conn: AsyncConnection,
    archive: zipfile.ZipFile,
    path: Path,
    shape: Shape,
    manifest: dict[str, Any],
    progress: Progress | None,
) -> None:
    digest = Digest()
    name = _member(shape)
    batch: list[dict[str, Any]] = []
    try:
        with archive.open(name) as member:
            for row in _rows(member, shape, digest):
                batch.append(row)
                if len(batch) >= INSERT_CHUNK:
                    await conn.execute(shape.table.insert(), batch)
                    batch = []
                    if progress:
                        progress(shape.name, digest.rows)
    except (*_READ_ERRORS, ValueError) as exc:
        raise ValidationFailed(
            f"{path.name}: {name} changed while it was restored ({_reason(exc)}); "
            "the restore was rolled back, the target is unchanged",
            field="file",
        ) from None
    if batch:
        await conn.execute(shape.table.insert(), batch)
    if progress:
        progress(shape.name, digest.rows)
    differs = manifests.mismatch(
        name, {"rows": digest.rows, "sha256": digest.hexdigest}, manifest["tables"][shape.name]
    )
    if differs:
        raise ValidationFailed(
            f"{path.name}: {differs} (changed while it was restored); "
            "the restore was rolled back, the target is unchanged",
            field="file",
        )


async def _verify_in_transaction(
    conn: AsyncConnection,
    db: Database,
    path: Path,
    manifest: dict[str, Any],
    shapes: list[Shape],
    result: RestoreResult,
) -> None:
    """Recompute every table from the database before committing; any difference rolls back.

    The reads run in a savepoint that is then rolled back (they changed nothing): on
    PostgreSQL that closes their server-side cursors, which would otherwise stay open until
    the commit and block the schema upgrade that follows in this transaction.
    """
    savepoint = await conn.begin_nested()
    try:
        pairs = [(s.table, s.columns) for s in shapes]
        actual = await table_digests(conn, db.dialect_name, pairs)
    finally:
        await savepoint.rollback()
    for shape in shapes:
        differs = manifests.mismatch(shape.name, actual[shape.name], manifest["tables"][shape.name])
        if differs:
            raise ValidationFailed(
                f"{path.name}: after loading, table {differs}; "
                "the restore was rolled back, the target is unchanged",
                field="file",
            )
        result.rows[shape.name] = actual[shape.name]["rows"]
    result.verified = True


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


# -- native ----------------------------------------------------------------------------


def _check_file_checksum(path: Path, manifest: dict[str, Any]) -> None:
    """Native and SQL manifests record the dump's own SHA-256 (older ones do not)."""
    want = manifest.get("file_sha256")
    if want is None:
        return
    try:
        got = file_sha256(path)
    except OSError as exc:
        raise ValidationFailed(f"{path.name} cannot be read ({_reason(exc)}); {REFUSED}") from None
    if got != want:
        raise ValidationFailed(
            f"{path.name} hashes to {got[:12]}…, its manifest ({path.name}{MANIFEST_SUFFIX}) "
            f"says {str(want)[:12]}…: corrupt, truncated or tampered; {REFUSED}",
            field="file",
        )


def _unpack(source: Path, target: Path) -> None:
    opener = gzip.open if _is_gzip(source) else open
    with opener(source, "rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


async def _restore_sqlite_native(
    db: Database,
    path: Path,
    manifest: dict[str, Any],
    shapes: list[Shape],
    force: bool,
    result: RestoreResult,
) -> None:
    """Unpack beside the target, verify and upgrade the copy, then swap it in atomically.

    The file's own checksum has been checked (in :func:`restore`)."""
    if (await inspect_target(db)).rows and not force:
        raise ConflictError(
            "the target database is not empty: pass --force to replace its contents"
        )
    destination = sqlite_path(db)
    with storage_errors(f"a scratch copy beside {destination}"):
        destination.parent.mkdir(parents=True, exist_ok=True)
        scratch = temporary_beside(destination)
    try:
        try:
            await asyncio.to_thread(_unpack, path, scratch)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValidationFailed(
                f"{path.name} is corrupt or truncated ({_reason(exc)}); {REFUSED}", field="file"
            ) from None
        copy = open_sqlite_file(db, scratch)
        try:
            await _verify_copy(copy, path, manifest, shapes, result)
            await migrate.upgrade(copy)
        finally:
            await copy.dispose()
        await db.dispose()
        await asyncio.to_thread(_sqlite_restore, scratch, destination)
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)


async def _verify_copy(
    copy: Database,
    path: Path,
    manifest: dict[str, Any],
    shapes: list[Shape],
    result: RestoreResult,
) -> None:
    try:
        async with snapshot(copy) as conn:
            revision = await conn.run_sync(revision_of)
            if revision != manifest["schema_revision"]:
                raise ValidationFailed(
                    f"{path.name} is at schema revision {revision}, its manifest says "
                    f"{manifest['schema_revision']}; {REFUSED}",
                    field="file",
                )
            pairs = [(s.table, s.columns) for s in shapes]
            actual = await table_digests(conn, copy.dialect_name, pairs)
    except DBAPIError as exc:
        raise ValidationFailed(
            f"{path.name} is not a readable SQLite database ({_reason(exc.orig or exc)}); "
            f"{REFUSED}",
            field="file",
        ) from None
    for shape in shapes:
        differs = manifests.mismatch(shape.name, actual[shape.name], manifest["tables"][shape.name])
        if differs:
            raise ValidationFailed(f"{path.name}: table {differs}; {REFUSED}", field="file")
        result.rows[shape.name] = actual[shape.name]["rows"]
    result.verified = True


def _sqlite_restore(source: Path, target: Path) -> None:
    """The online backup API copies all pages in one step: the target changes atomically."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


async def _restore_pg_native(
    db: Database,
    path: Path,
    manifest: dict[str, Any],
    shapes: list[Shape],
    force: bool,
    result: RestoreResult,
) -> None:
    """pg_restore in one transaction, after the dump's table of contents (its checksum has
    been checked in :func:`restore`)."""
    try:
        await _run_tool("pg_restore", "--list", str(path))
    except ValidationFailed as exc:
        raise ValidationFailed(f"{path.name} is unreadable ({exc.message}); {REFUSED}") from None
    target = await inspect_target(db)
    if needs_migration(manifest["schema_revision"], target, force=force) and target.revision:
        raise ConflictError(_revision_advice(manifest["schema_revision"], target.revision))
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
    await verify_against(db, manifest, result, shapes)
    if result.verified:
        await migrate.upgrade(db)


async def verify_against(
    db: Database,
    manifest: dict[str, Any],
    result: RestoreResult,
    shapes: list[Shape] | None = None,
) -> None:
    """Recompute every table's count and checksum from the database; compare to the manifest."""
    chosen = shapes if shapes is not None else shapes_at(manifest.get("schema_revision"))
    async with snapshot(db) as conn:
        actual = await table_digests(conn, db.dialect_name, [(s.table, s.columns) for s in chosen])
    for table, want in manifest.get("tables", {}).items():
        got = actual.get(table)
        if got is None:
            result.mismatches.append(f"{table}: missing after restore")
            continue
        differs = manifests.mismatch(table, got, want)
        if differs:
            result.mismatches.append(differs)
        else:
            result.rows[table] = got["rows"]
    result.verified = not result.mismatches
