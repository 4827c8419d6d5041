"""Statements whose spelling differs between SQLite and PostgreSQL, written once.

Business code calls these helpers; it never branches on the dialect itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
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
#: Keys per ``IN (...)`` lookup on SQLite (well under its bound-parameter limit).
_LOOKUP_CHUNK = 500


def row_encoder(
    table: Table, columns: Sequence[str], dialect: Dialect
) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A function turning a row of Python values (in ``columns`` order) into driver values.

    It applies each column type's own bind processing, exactly what SQLAlchemy does in an
    ``execute`` (UUID as text on SQLite, timestamps normalised to UTC, JSON serialised with the
    engine's serializer, ``None`` in a JSON column as JSON ``null``), but once per value in a
    tight loop instead of through the statement machinery.
    """
    steps: list[tuple[int, Callable[[Any], Any], list[Any]]] = []
    for index, name in enumerate(columns):
        process = table.c[name].type._cached_bind_processor(dialect)
        if process is not None:
            # [last value, its encoding]: a batch repeats the same object down a column
            # (project id, timestamps, ``None``), which is then encoded once.
            steps.append((index, process, [None, process(None)]))
    if not steps:
        return tuple

    def encode(row: Sequence[Any]) -> tuple[Any, ...]:
        out = list(row)
        for index, process, last in steps:
            value = out[index]
            if value is last[0]:
                out[index] = last[1]
            else:
                out[index] = encoded = process(value)
                last[0], last[1] = value, encoded
        return tuple(out)

    return encode


async def insert_new(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
    *,
    row_security: bool = False,
) -> set[Any]:
    """Insert the rows whose ``key`` is not stored yet; return the keys inserted.

    ``rows`` are tuples of Python values in ``columns`` order (as the ORM would take them);
    they must carry every column of ``table`` except server defaults and must not repeat a key.
    The bulk path of each backend, in the session's transaction:

    * PostgreSQL (``COPY_MIN_ROWS`` rows or more): one lookup of the keys already stored, then
      the new rows straight into the table with ``COPY`` (asyncpg's binary format) under a
      savepoint. If a concurrent transaction stored one of the keys meanwhile (unique
      violation), the savepoint is rolled back and the rows go through a temporary table and
      one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``, which is race-free. With
      ``row_security`` (the transaction runs under row-level security, which refuses
      ``COPY FROM``) they go that way at once.
    * SQLite, whose write transactions are serialised (``BEGIN IMMEDIATE``): look up which keys
      exist and ``executemany`` the rest on the driver connection.
    * Small batches on PostgreSQL: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``.
    """
    if not rows:
        return set()
    connection = await session.connection()
    dialect = connection.dialect
    position = list(columns).index(key)
    if dialect.name == "postgresql" and len(rows) < COPY_MIN_ROWS:
        stmt = insert(dialect.name, table).on_conflict_do_nothing(index_elements=[key])
        stmt = stmt.returning(table.c[key])
        inserted: set[Any] = set()
        for start in range(0, len(rows), _CHUNK):
            chunk = [dict(zip(columns, row, strict=True)) for row in rows[start : start + _CHUNK]]
            inserted.update((await connection.execute(stmt, chunk)).scalars())
        return inserted
    encode = row_encoder(table, columns, dialect)
    encoded = [encode(row) for row in rows]
    # Keys as the database holds them (e.g. UUID text on SQLite) -> the caller's keys.
    original = {enc[position]: row[position] for enc, row in zip(encoded, rows, strict=True)}
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    prep = dialect.identifier_preparer
    name = prep.format_table(table)
    column_list = ", ".join(prep.quote(c) for c in columns)
    quoted_key = prep.quote(key)
    if dialect.name == "postgresql":
        key_type = table.c[key].type.compile(dialect=dialect)
        existing = await _pg_existing(raw, name, quoted_key, key_type, list(original))
        new = [enc for enc in encoded if enc[position] not in existing]
        if not new:
            return set()
        stored = await _pg_copy_new(
            raw, table, columns, new, position, quoted_key, column_list, name, row_security
        )
        return {original[k] for k in stored}
    existing = set()
    keys = list(original)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        cursor = await raw.execute(
            f"SELECT {quoted_key} FROM {name} WHERE {quoted_key} IN ({marks})", chunk
        )
        existing.update(r[0] for r in await cursor.fetchall())
        await cursor.close()
    new = [enc for enc in encoded if enc[position] not in existing]
    if new:
        marks = ", ".join("?" * len(columns))
        await raw.executemany(f"INSERT INTO {name} ({column_list}) VALUES ({marks})", new)
    return {original[enc[position]] for enc in new}


async def _pg_existing(
    raw: Any, name: str, quoted_key: str, key_type: str, keys: list[Any]
) -> set[Any]:
    """Which of ``keys`` are stored (one round trip)."""
    sql = f"SELECT {quoted_key} FROM {name} WHERE {quoted_key} = ANY($1::{key_type}[])"
    return {r[0] for r in await raw.fetch(sql, keys)}


async def _pg_copy_new(
    raw: Any,
    table: Table,
    columns: Sequence[str],
    records: list[tuple[Any, ...]],
    position: int,
    quoted_key: str,
    column_list: str,
    name: str,
    row_security: bool,
) -> list[Any]:
    """COPY ``records`` (none of whose keys was stored a moment ago) into ``table``."""
    import asyncpg

    if not row_security:
        await raw.execute("SAVEPOINT evalledger_copy")
        try:
            await raw.copy_records_to_table(
                table.name, schema_name=table.schema, records=records, columns=list(columns)
            )
        except asyncpg.UniqueViolationError:
            # A concurrent writer stored one of these keys after our lookup.
            await raw.execute("ROLLBACK TO SAVEPOINT evalledger_copy")
        else:
            await raw.execute("RELEASE SAVEPOINT evalledger_copy")
            return [record[position] for record in records]
    # The race-free way: stage, then insert what is still new.
    staging = f"_stage_{table.name}"
    await raw.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {name}) ON COMMIT DELETE ROWS"
    )
    await raw.copy_records_to_table(staging, records=records, columns=list(columns))
    stored = await raw.fetch(
        f"INSERT INTO {name} ({column_list}) SELECT {column_list} FROM {staging} "
        f"ON CONFLICT ({quoted_key}) DO NOTHING RETURNING {quoted_key}"
    )
    await raw.execute(f"TRUNCATE {staging}")  # a second batch in this transaction
    return [r[0] for r in stored]
