"""Canonical rows: one text form of every row, identical whichever backend it came from.

Backups, restores and their verification all rest on this: a row is rendered as JSON with
sorted keys, UUIDs as lowercase hex with dashes, timestamps as UTC ISO-8601 with
microseconds, and JSON values with sorted keys. A table's checksum is SHA-256 over its
canonical rows in primary-key order (binary collation on both backends), so a backup taken
from SQLite and restored into PostgreSQL verifies against the same manifest.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from evalledger.db.registry import metadata
from evalledger.db.types import UTCDateTime

CHUNK_ROWS = 2000


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def canonical_line(row: Mapping[str, Any]) -> str:
    """The canonical JSON text of one row (no trailing newline)."""
    return json.dumps(
        {k: _encode(v) for k, v in row.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def decode_row(table: Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a canonical row back into the values the table's column types expect."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        column = table.columns.get(name)
        if column is None:
            raise ValueError(f"table {table.name} has no column {name!r}")
        out[name] = decode_value(column, value)
    return out


def decode_value(column: Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Uuid):
        return uuid.UUID(str(value))
    if isinstance(kind, UTCDateTime):
        stamp = datetime.fromisoformat(str(value))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return value


def binary_order(column: Column[Any], dialect: str) -> ColumnElement[Any]:
    """Order strings byte-wise on PostgreSQL too (SQLite already compares bytes)."""
    if (
        dialect == "postgresql"
        and isinstance(column.type, String)
        and not isinstance(column.type, JSON)
    ):
        return column.collate("C")
    return column


def backup_tables() -> list[Table]:
    """Every table, parents before children (restore order)."""
    return list(metadata.sorted_tables)


async def stream_rows(
    conn: AsyncConnection,
    table: Table,
    dialect: str,
    columns: Sequence[str] | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """All rows of ``table`` in primary-key order, fetched in bounded chunks.

    ``columns`` limits the read to the columns an older schema revision has (default: all).
    """
    order = [binary_order(c, dialect) for c in table.primary_key.columns]
    chosen = [table.c[name] for name in columns] if columns is not None else list(table.c)
    query = select(*chosen).order_by(*order).execution_options(yield_per=CHUNK_ROWS)
    # The context closes the server-side cursor at once: on PostgreSQL an open one would
    # block DDL later in the same transaction (a restore migrates after verifying).
    async with conn.stream(query) as result:
        async for partition in result.mappings().partitions(CHUNK_ROWS):
            for row in partition:
                yield dict(row)


class Digest:
    """Running row count and SHA-256 over canonical lines."""

    def __init__(self) -> None:
        self.rows = 0
        self._sha = hashlib.sha256()

    def add(self, line: str) -> None:
        self.rows += 1
        self._sha.update(line.encode("utf-8"))
        self._sha.update(b"\n")

    def add_all(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.add(line)

    @property
    def hexdigest(self) -> str:
        return self._sha.hexdigest()


async def table_digests(
    conn: AsyncConnection,
    dialect: str,
    shapes: Sequence[tuple[Table, Sequence[str]]] | None = None,
) -> dict[str, dict[str, Any]]:
    """``{table: {"rows": n, "sha256": hex}}`` computed from the database.

    ``shapes`` (``(table, columns)`` pairs) chooses the tables and columns of one schema
    revision; by default every table of the models, all columns.
    """
    chosen = shapes if shapes is not None else [(t, [c.name for c in t.c]) for t in backup_tables()]
    out: dict[str, dict[str, Any]] = {}
    for table, columns in chosen:
        digest = Digest()
        async for row in stream_rows(conn, table, dialect, columns):
            digest.add(canonical_line(row))
        out[table.name] = {"rows": digest.rows, "sha256": digest.hexdigest}
    return out
