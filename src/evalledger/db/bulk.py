"""The bulk loader: insert many rows, skipping those whose key is already stored.

PostgreSQL takes big batches through ``COPY`` (small ones through ``INSERT ... ON CONFLICT DO
NOTHING``), SQLite through a key lookup and ``executemany`` on the driver connection; see
:func:`start_insert_new`. The batch recorder and the assessment importer use it. It is apart
from :mod:`evalledger.db.dialect` (statements that merely differ in spelling between the
backends) because it is a mechanism with its own tuning, not a spelling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Table, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from evalledger.db.dialect import insert


async def analyze(connection: Any, tables: Sequence[Table]) -> None:
    """Refresh the planner's statistics of ``tables`` (``ANALYZE t``, same on both backends).

    After a bulk load the statistics describe the tables as they were: measured on
    PostgreSQL after importing 1,000,000 assessments, the export's keyset page chose a bitmap
    scan and a sort of half the table (543 ms per page) and its evidence lookup a parallel
    sequential scan (654 ms), instead of index scans of 3 and 9 ms once analyzed.
    """
    prep = connection.dialect.identifier_preparer
    for table in tables:
        await connection.exec_driver_sql(f"ANALYZE {prep.format_table(table)}")


#: Batches at least this large go through COPY on PostgreSQL.
COPY_MIN_ROWS = 200
_CHUNK = 1000
#: SQLite page cache (KiB) while a bulk insert runs (the connection's own size is restored).
SQLITE_BULK_CACHE_KIB = 65536
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


class PendingInsert:
    """A bulk insert under way (see :func:`start_insert_new`).

    ``new`` holds the keys being inserted: those the lookup found unstored. ``await
    pending.wait()`` returns the keys inserted, which are ``new`` unless a concurrent writer
    stored one of them in between. The session must not be used until then.
    """

    def __init__(self, new: set[Any], task: asyncio.Future[set[Any]] | None = None) -> None:
        self.new = new
        self._task = task

    async def wait(self) -> set[Any]:
        if self._task is None:
            return self.new
        return await self._task


async def insert_new(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
    *,
    row_security: bool = False,
    expect_new: bool = False,
    fresh: bool = False,
    copy_min_rows: int = COPY_MIN_ROWS,
) -> set[Any]:
    """Insert the rows whose ``key`` is not stored yet; return the keys inserted (the
    options as for :func:`start_insert_new`)."""
    pending = await start_insert_new(
        session,
        table,
        columns,
        rows,
        key,
        row_security=row_security,
        expect_new=expect_new,
        fresh=fresh,
        copy_min_rows=copy_min_rows,
    )
    return await pending.wait()


async def start_insert_new(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    key: str = "id",
    *,
    row_security: bool = False,
    expect_new: bool = False,
    fresh: bool = False,
    copy_min_rows: int = COPY_MIN_ROWS,
) -> PendingInsert:
    """Start inserting the rows whose ``key`` is not stored yet.

    ``rows`` are tuples of Python values in ``columns`` order (as the ORM would take them);
    they must carry every column of ``table`` except server defaults and must not repeat a key.
    Returns once the stored keys are known, with the write handed to the driver: the caller
    can compute its answer from :attr:`PendingInsert.new` while the database works, then
    ``await`` :meth:`PendingInsert.wait`. The bulk path of each backend, in the session's
    transaction:

    * PostgreSQL (``COPY_MIN_ROWS`` rows or more): one lookup of the keys already stored, then
      the new rows straight into the table with ``COPY`` (asyncpg's binary format, rows
      encoded as they stream) under a savepoint. If a concurrent transaction stored one of the
      keys meanwhile (unique violation), the savepoint is rolled back and the rows go through
      a temporary table and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING``,
      which is race-free. With ``row_security`` (the transaction runs under row-level
      security, which refuses ``COPY FROM``) they go that way at once.
    * SQLite, whose write transactions are serialised (``BEGIN IMMEDIATE``): look up which keys
      exist and ``executemany`` the rest on the driver connection (in its thread).
    * Small batches on PostgreSQL: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``.

    ``expect_new`` (PostgreSQL's COPY path): the caller expects its keys to be new (a batch
    of fresh results; a retry is the exception), so the lookup is skipped and every key is
    taken as new: a stored one makes the COPY fail on its unique key and the race-free path
    above decides, as for a concurrent writer. The lookup probed the primary key once per
    row, about an eighth of a 5,000-result batch on a table larger than the buffer cache;
    an import that may re-send much of what is stored (``duplicates="skip"``) keeps it.

    ``fresh`` says the keys were minted for these rows (``uuid4``), so none can be stored:
    the lookup is skipped (on SQLite it costs as much as the insert), and so is the savepoint
    around ``COPY``, as a unique violation can then only be another constraint's, which
    fails the write (the driver's error reaches the caller).

    ``copy_min_rows``: the smallest batch that goes through ``COPY`` on PostgreSQL
    (:data:`COPY_MIN_ROWS` by default). A caller whose batches are small but many, each in a
    transaction that has already run a statement (the assessment import: 100 records a
    transaction by contract), lowers it: ``COPY`` encodes its rows in a tight loop where the
    ``INSERT`` goes through SQLAlchemy's per-parameter machinery.
    """
    if not rows:
        return PendingInsert(set())
    connection = await session.connection()
    dialect = connection.dialect
    position = list(columns).index(key)
    if dialect.name == "postgresql" and len(rows) < copy_min_rows:
        stmt = insert(dialect.name, table).on_conflict_do_nothing(index_elements=[key])
        stmt = stmt.returning(table.c[key])
        inserted: set[Any] = set()
        for start in range(0, len(rows), _CHUNK):
            chunk = [dict(zip(columns, row, strict=True)) for row in rows[start : start + _CHUNK]]
            inserted.update((await connection.execute(stmt, chunk)).scalars())
        return PendingInsert(inserted)
    # Keys as the database holds them (e.g. UUID text on SQLite).
    process_key = table.c[key].type._cached_bind_processor(dialect)
    keys = [row[position] for row in rows]
    stored_keys = keys if process_key is None or fresh else [process_key(k) for k in keys]
    existing: set[Any] = set()
    if dialect.name == "postgresql":
        # Through SQLAlchemy, not the raw driver: SQLAlchemy opens the driver's transaction
        # lazily, at its first statement, and the COPY below must run inside that
        # transaction (on the raw connection before it, it would autocommit).
        if fresh or expect_new:
            if not await _driver_in_transaction(connection):
                await connection.exec_driver_sql("SELECT 1")  # the transaction is opened
        else:
            stored = await _pg_existing(connection, table.c[key], keys)
            existing = {
                stored_key for k, stored_key in zip(keys, stored_keys, strict=True) if k in stored
            }
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    prep = dialect.identifier_preparer
    name = prep.format_table(table)
    column_list = ", ".join(prep.quote(c) for c in columns)
    quoted_key = prep.quote(key)
    if dialect.name != "postgresql" and not fresh:
        for start in range(0, len(stored_keys), _LOOKUP_CHUNK):
            chunk = stored_keys[start : start + _LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            cursor = await raw.execute(
                f"SELECT {quoted_key} FROM {name} WHERE {quoted_key} IN ({marks})", chunk
            )
            existing.update(r[0] for r in await cursor.fetchall())
            await cursor.close()
    if existing:
        new_rows = [r for r, k in zip(rows, stored_keys, strict=True) if k not in existing]
    else:
        new_rows = list(rows)
    new = {row[position] for row in new_rows}
    if not new_rows:
        return PendingInsert(new)
    encode = row_encoder(table, columns, dialect)

    def records() -> Iterator[tuple[Any, ...]]:
        return map(encode, new_rows)

    if dialect.name == "postgresql":
        write: Awaitable[set[Any]] = _pg_copy_new(
            raw,
            table,
            columns,
            records,
            quoted_key,
            column_list,
            name,
            row_security,
            new,
            process_key,
            fresh,
        )
    else:
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {name} ({column_list}) VALUES ({marks})"

        async def _executemany() -> set[Any]:
            # A bigger page cache while inserting: each row lands at random places in the
            # key and text indexes, and with the default 2 MB the dirty pages spill to the WAL
            # and are read back before the commit (about a third of the insert's time at
            # 100,000+ rows). Set back afterwards: pages still dirty stay until the commit.
            cursor = await raw.execute("PRAGMA cache_size")
            (previous,) = await cursor.fetchone()
            await cursor.close()
            await (await raw.execute(f"PRAGMA cache_size = {-SQLITE_BULK_CACHE_KIB}")).close()
            try:
                await (await raw.executemany(sql, records())).close()
            finally:
                await (await raw.execute(f"PRAGMA cache_size = {int(previous)}")).close()
            return new

        write = _executemany()
    task = asyncio.ensure_future(write)
    await asyncio.sleep(0)  # the write's first step runs: the driver has its statement
    return PendingInsert(new, task)


async def _driver_in_transaction(connection: Any) -> bool:
    """Whether the driver's transaction is already open (a statement ran in it), so that a
    ``COPY`` on the raw connection joins it; asyncpg knows it from the server's status."""
    raw = (await connection.get_raw_connection()).driver_connection
    is_in = getattr(raw, "is_in_transaction", None)
    return bool(is_in()) if is_in is not None else False


async def _pg_existing(connection: Any, key_column: Any, keys: list[Any]) -> set[Any]:
    """Which of ``keys`` are stored (one round trip: ``key = ANY(:keys)``)."""
    found = await connection.execute(
        select(key_column).where(
            key_column == any_(bindparam("keys", keys, type_=ARRAY(key_column.type)))
        )
    )
    return set(found.scalars())


async def _pg_copy_new(
    raw: Any,
    table: Table,
    columns: Sequence[str],
    records: Callable[[], Iterator[tuple[Any, ...]]],
    quoted_key: str,
    column_list: str,
    name: str,
    row_security: bool,
    new: set[Any],
    process_key: Callable[[Any], Any] | None,
    fresh: bool = False,
) -> set[Any]:
    """COPY the new rows (none of whose keys was stored a moment ago) into ``table``."""
    import asyncpg

    if fresh and not row_security:
        await raw.copy_records_to_table(
            table.name, schema_name=table.schema, records=records(), columns=list(columns)
        )
        return new
    if not row_security:
        await raw.execute("SAVEPOINT evalledger_copy")
        try:
            await raw.copy_records_to_table(
                table.name, schema_name=table.schema, records=records(), columns=list(columns)
            )
        except asyncpg.UniqueViolationError:
            # A concurrent writer stored one of these keys after our lookup.
            await raw.execute("ROLLBACK TO SAVEPOINT evalledger_copy")
        else:
            await raw.execute("RELEASE SAVEPOINT evalledger_copy")
            return new
    # The race-free way: stage, then insert what is still new.
    staging = f"_stage_{table.name}"
    await raw.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {staging} (LIKE {name}) ON COMMIT DELETE ROWS"
    )
    await raw.copy_records_to_table(staging, records=records(), columns=list(columns))
    stored = await raw.fetch(
        f"INSERT INTO {name} ({column_list}) SELECT {column_list} FROM {staging} "
        f"ON CONFLICT ({quoted_key}) DO NOTHING RETURNING {quoted_key}"
    )
    await raw.execute(f"TRUNCATE {staging}")  # a second batch in this transaction
    back = {k if process_key is None else process_key(k): k for k in new}
    return {back[r[0]] for r in stored}
