"""Statements whose spelling differs between SQLite and PostgreSQL, written once.

Business code calls these helpers; it never branches on the dialect itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, Table, and_, case, cast, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def insert(dialect_name: str, target: type[DeclarativeBase] | Table) -> Any:
    """An INSERT construct that supports ``on_conflict_do_nothing/update`` on either backend."""
    if dialect_name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def codepoint_order(dialect_name: str, column: Any) -> Any:
    """A text column compared by Unicode code point, as Python's ``sorted`` compares ``str``.

    PostgreSQL sorts by the database's collation (``en_US``: case- and punctuation-aware);
    ``COLLATE "C"`` compares the UTF-8 bytes, which is code point order. SQLite's default
    ``BINARY`` collation already is.
    """
    if dialect_name == "postgresql":
        return column.collate("C")
    return column


def column_arrays(
    dialect_name: str, columns: Sequence[Any], from_: Any, group_by: Sequence[Any] = ()
) -> Any:
    """A statement that reads ``columns`` of ``from_`` (grouped by ``group_by``, if given), in
    no particular order, for :func:`column_lists`.

    PostgreSQL: one row holding one array per column (``array_agg``), which asyncpg decodes
    in C: 100,000 values cost a fraction of what 100,000 result rows do (a row object each).
    SQLite (in process, no arrays): the rows.
    """
    stmt = select(*columns).select_from(from_).group_by(*group_by)
    if dialect_name == "postgresql":
        rows = stmt.subquery("rows")
        return select(*[func.array_agg(column) for column in rows.c])
    return stmt


def column_lists(dialect_name: str, rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """The values of :func:`column_arrays`' result ``rows``, one list per column (in the same
    order in every column)."""
    if dialect_name == "postgresql":
        return [list(values or []) for values in rows[0]] if rows else [[] for _ in range(width)]
    return (
        [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
    )


def day_text(dialect_name: str, column: Any) -> Any:
    """The UTC calendar day of a timestamp column as ``YYYY-MM-DD`` text (for GROUP BY)."""
    if dialect_name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]"


def json_array_contains_all(dialect_name: str, column: Any, values: Sequence[str]) -> Any:
    """``column`` (a JSON list of strings) holds every one of ``values``.

    PostgreSQL: one ``@>`` containment (served by a GIN index on the column); SQLite: one
    ``EXISTS`` over ``json_each`` per value.
    """
    if dialect_name == "postgresql":
        wanted = cast(literal(json.dumps(list(values))), postgresql.JSONB)
        return column.op("@>")(wanted)
    conditions = []
    for value in values:
        items = func.json_each(column).table_valued("value")
        conditions.append(
            select(literal(1)).select_from(items).where(items.c.value == value).exists()
        )
    return and_(*conditions)


def json_array_items(dialect_name: str, column: Any) -> Any:
    """A table-valued function with one row per item of ``column`` (a JSON list), as ``value``
    (text), to join implicitly after the column's table: ``FROM t, <this>``."""
    name = "jsonb_array_elements_text" if dialect_name == "postgresql" else "json_each"
    return getattr(func, name)(column).table_valued("value", joins_implicitly=True)


def json_array_length(dialect_name: str, column: Any) -> Any:
    """The number of items of ``column`` (a JSON list)."""
    name = "jsonb_array_length" if dialect_name == "postgresql" else "json_array_length"
    return getattr(func, name)(column)


def json_text_field(dialect_name: str, column: Any, key: str) -> Any:
    """The value under ``key`` of a JSON object column as text, spelled alike on both backends.

    Numbers read as their JSON text (``812``, ``0.5``), booleans as ``true``/``false``,
    strings as themselves, a missing key as NULL. ``key`` is bound, never spliced into SQL.
    """
    if dialect_name == "postgresql":
        return column.op("->>", return_type=String())(literal(key))
    path = literal(f'$."{key}"')
    kind = func.json_type(column, path)
    return case(
        (kind == "true", literal("true")),
        (kind == "false", literal("false")),
        else_=cast(func.json_extract(column, path), String()),
    )
