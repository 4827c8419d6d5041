"""Server-side column defaults derived from the Python ones, identical in meaning on both backends.

The application always sets its own values (Python defaults), so both dialects store exactly
the same thing; the server defaults exist for everyone else: the original systems' scripts and
operators who insert by plain SQL (``INSERT INTO claims (external_id, content) ...``) must not
hit NOT NULL violations. :func:`server_default_for` is the one rule turning a Python default
into SQL, so the two can never disagree, and :class:`evalledger.db.base.Base` applies it to
every column that has a Python default (migration 0006 put the same SQL into the databases).

SQLite stores what the application stores: a UUID as 32 lower-case hex digits (SQLAlchemy's
``Uuid`` on SQLite; here a random version-4 one), a timestamp as UTC text
``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite ``DATETIME`` format, which the
application reads back as the same aware UTC value).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import Boolean, Float, Integer, NullType, String, TypeEngine, Uuid

from evalledger.db.types import row_stamp, utcnow

#: A random version-4 UUID in the application's SQLite format (32 hex digits, no dashes).
SQLITE_NEW_UUID = (
    "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2) "
    "|| substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) "
    "|| hex(randomblob(6)))"
)
#: Now, in UTC, in the application's SQLite timestamp format (milliseconds, padded to micro).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
PG_NEW_UUID = "gen_random_uuid()"
PG_NOW = "now()"


class DialectDefault(ColumnElement[Any]):
    """A server default spelled once per dialect (PostgreSQL, SQLite)."""

    inherit_cache = False
    type = NullType()

    def __init__(self, postgresql: str, sqlite: str) -> None:
        self.postgresql = postgresql
        self.sqlite = sqlite

    def __repr__(self) -> str:
        return f"DialectDefault({self.postgresql!r}, {self.sqlite!r})"


@compiles(DialectDefault, "postgresql")
def _compile_postgresql(element: DialectDefault, _compiler: SQLCompiler, **_kw: Any) -> str:
    return element.postgresql


@compiles(DialectDefault)
def _compile_sqlite(element: DialectDefault, _compiler: SQLCompiler, **_kw: Any) -> str:
    return element.sqlite


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_for(value: Any, type_: TypeEngine[Any]) -> tuple[str, str]:
    """``(postgresql, sqlite)`` SQL of a Python default (a constant or a known callable)."""
    if value is uuid.uuid4:
        return PG_NEW_UUID, SQLITE_NEW_UUID
    if value is utcnow or value is row_stamp:
        return PG_NOW, SQLITE_NOW
    if value in (list, dict):
        empty = "[]" if value is list else "{}"
        return f"{_quoted(empty)}::jsonb", _quoted(empty)
    if isinstance(value, bool) and isinstance(type_, Boolean):
        return ("true", "1") if value else ("false", "0")
    if isinstance(value, uuid.UUID) and isinstance(type_, Uuid):
        return f"{_quoted(str(value))}::uuid", _quoted(value.hex)
    if isinstance(value, int | float) and isinstance(type_, Integer | Float):
        return repr(value), repr(value)
    if isinstance(value, str) and isinstance(type_, String):
        return _quoted(value), _quoted(value)
    raise TypeError(f"no server default for a Python default {value!r} on a {type_!r} column")


def server_default_for(value: Any, type_: TypeEngine[Any]) -> DialectDefault:
    """The server default matching a column's Python default ``value``."""
    postgresql, sqlite = sql_for(_unwrap(value), type_)
    return DialectDefault(postgresql, sqlite)


def _unwrap(value: Any) -> Any:
    # SQLAlchemy wraps a callable default in a one-argument function; the original is kept.
    wrapped: Callable[..., Any] | None = getattr(value, "__wrapped__", None)
    return wrapped if wrapped is not None else value


__all__ = ["DialectDefault", "server_default_for", "sql_for"]
