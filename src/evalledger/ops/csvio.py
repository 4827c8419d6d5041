"""CSV export and import of one table, for analysis tools and hand-made fixes.

Import validates every cell against the column's type, nullability and length, then inserts
in one transaction, so the database's own constraints (CHECK ranges, foreign keys, unique
keys: the same rules the API relies on) also apply; a bad row is reported by its line number
and nothing of the file is written.
"""

from __future__ import annotations

import csv
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Table, Uuid
from sqlalchemy.exc import DBAPIError

from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.db.types import UTCDateTime
from evalledger.errors import ValidationFailed
from evalledger.ops.backup import snapshot
from evalledger.ops.canonical import stream_rows

_TRUE = {"true", "t", "1", "yes"}
_FALSE = {"false", "f", "0", "no"}


def table_named(name: str) -> Table:
    table = metadata.tables.get(name)
    if table is None:
        raise ValidationFailed(
            f"unknown table {name!r}; tables: {', '.join(sorted(metadata.tables))}", field="table"
        )
    return table


def _cell_out(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


async def export_csv(db: Database, table_name: str, output: Path) -> int:
    table = table_named(table_name)
    columns = [c.name for c in table.columns]
    count = 0
    with output.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        async with snapshot(db) as conn:
            async for row in stream_rows(conn, table, db.dialect_name):
                writer.writerow([_cell_out(row[c]) for c in columns])
                count += 1
    return count


def _cell_in(table: Table, column_name: str, raw: str, line: int) -> Any:
    column = table.columns[column_name]
    where = f"line {line}, column {column_name}"
    if raw == "":
        if not column.nullable and column.default is None and not column.primary_key:
            raise ValidationFailed(f"{where}: a value is required", field=column_name)
        return None
    kind = column.type
    try:
        if isinstance(kind, Uuid):
            return uuid.UUID(raw)
        if isinstance(kind, UTCDateTime):
            stamp = datetime.fromisoformat(raw)
            if stamp.tzinfo is None:
                raise ValueError("timestamps need a timezone (e.g. +00:00)")
            return stamp
        if isinstance(kind, Boolean):
            lowered = raw.strip().lower()
            if lowered not in _TRUE | _FALSE:
                raise ValueError("expected true or false")
            return lowered in _TRUE
        if isinstance(kind, Integer):
            return int(raw)
        if isinstance(kind, Float):
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("NaN and infinity are not allowed")
            return value
        if isinstance(kind, JSON):
            return json.loads(raw)
        if isinstance(kind, String) and kind.length and len(raw) > kind.length:
            raise ValueError(f"longer than {kind.length} characters")
    except ValueError as exc:
        raise ValidationFailed(f"{where}: {exc}", field=column_name) from exc
    return raw


async def import_csv(db: Database, table_name: str, source: Path) -> int:
    table = table_named(table_name)
    rows: list[tuple[int, dict[str, Any]]] = []
    with source.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise ValidationFailed(f"{source} is empty: the first line must name the columns")
        unknown = [h for h in header if h not in table.columns]
        if unknown:
            raise ValidationFailed(f"line 1: unknown column(s) {', '.join(unknown)}")
        for raw in reader:
            line = reader.line_num
            if len(raw) != len(header):
                raise ValidationFailed(f"line {line}: {len(raw)} cells, header has {len(header)}")
            values = {
                h: _cell_in(table, h, cell, line) for h, cell in zip(header, raw, strict=True)
            }
            rows.append((line, {k: v for k, v in values.items() if v is not None}))
    async with db.write_connection() as conn:
        for line, values in rows:
            try:
                async with conn.begin_nested():
                    await conn.execute(table.insert().values(**values))
            except DBAPIError as exc:
                message = str(exc.orig).splitlines()[0][:300]
                raise ValidationFailed(
                    f"line {line}: rejected by the database ({message}); nothing imported"
                ) from exc
    return len(rows)
