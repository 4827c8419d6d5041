"""Statements whose spelling differs between SQLite and PostgreSQL, written once.

Business code calls these helpers; it never branches on the dialect itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def insert(dialect_name: str, target: type[DeclarativeBase] | Table) -> Any:
    """An INSERT construct that supports ``on_conflict_do_nothing/update`` on either backend."""
    if dialect_name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def day_text(dialect_name: str, column: Any) -> Any:
    """The UTC calendar day of a timestamp column as ``YYYY-MM-DD`` text (for GROUP BY)."""
    if dialect_name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]"


#: Batches at least this large go through COPY on PostgreSQL.
COPY_MIN_ROWS = 200
_CHUNK = 1000


async def insert_new(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: str = "id"
) -> set[Any]:
    """Insert the rows whose ``key`` is not stored yet; return the keys inserted.

    The bulk path of each backend: on PostgreSQL, ``COPY`` into a temporary table and one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`` (race-free against concurrent
    writers); on SQLite, whose write transactions are serialised (``BEGIN IMMEDIATE``), look up
    which keys exist and ``executemany`` the rest. Rows must carry every column of ``table``
    except server defaults and must not repeat a key.
    """
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        return await _copy_insert_new(session, table, rows, key)
    if dialect == "sqlite":
        keys = [row[key] for row in rows]
        column = table.c[key]
        existing: set[Any] = set()
        for start in range(0, len(keys), 500):
            stmt = select(column).where(column.in_(keys[start : start + 500]))
            existing.update((await session.execute(stmt)).scalars())
        new = [row for row in rows if row[key] not in existing]
        for start in range(0, len(new), _CHUNK):
            await session.execute(table.insert(), list(new[start : start + _CHUNK]))
        return {row[key] for row in new}
    stmt = insert(dialect, table).on_conflict_do_nothing(index_elements=[key])
    stmt = stmt.returning(table.c[key])
    inserted: set[Any] = set()
    for start in range(0, len(rows), _CHUNK):
        chunk = list(rows[start : start + _CHUNK])
        inserted.update((await session.execute(stmt, chunk)).scalars())
    return inserted


async def _copy_insert_new(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection  # the asyncpg connection
    assert raw is not None
    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON | JSONB)}
    staging = f"_copy_{table.name}"
    # JSON travels as text (COPY's binary format would need a jsonb codec on the connection)
    # and is cast back in the INSERT ... SELECT.
    if await raw.fetchval(f"SELECT to_regclass('pg_temp.{staging}')") is None:
        await raw.execute(
            f"CREATE TEMP TABLE {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS; "
            + "".join(f"ALTER TABLE {staging} ALTER COLUMN {c} TYPE text; " for c in json_columns)
        )
    plain = [c for c in columns if c not in json_columns]
    as_json = [c for c in columns if c in json_columns]
    dumps = json.dumps
    records = [
        (
            *[row[c] for c in plain],
            # None as JSON null, as SQLAlchemy stores it (most JSON cells are empty: skip dumps)
            *["null" if row[c] is None else dumps(row[c]) for c in as_json],
        )
        for row in rows
    ]
    columns = plain + as_json
    await raw.copy_records_to_table(staging, records=records, columns=columns)
    select_list = ", ".join(f"{c}::jsonb" if c in json_columns else c for c in columns)
    inserted = await raw.fetch(
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {select_list} FROM {staging} "
        f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    )
    await raw.execute(f"TRUNCATE {staging}")  # a second batch in this transaction
    return {r[0] for r in inserted}
