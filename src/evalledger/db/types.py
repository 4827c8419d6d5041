"""Column types that behave the same on SQLite and PostgreSQL.

Dialect differences in column types live here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

#: JSON everywhere, JSONB on PostgreSQL (indexable, compact, GIN-able).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no timezone type and hands back naive values,
    so values are normalised to UTC on the way in and marked UTC on the way out. Naive input is
    refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; evalledger stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        stamp: datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC (never ``datetime.utcnow()``, which is naive)."""
    return datetime.now(UTC)


#: The columns a new row is stamped with (see :func:`row_stamp`).
STAMP_COLUMNS = ("created_at", "updated_at")


def row_stamp(context: Any) -> datetime:
    """The default of ``created_at`` and ``updated_at``: one clock reading per new row.

    SQLAlchemy evaluates column defaults one column at a time, so two ``utcnow`` defaults
    read the clock twice and, where ``updated_at`` comes first in the table, stamped it before
    ``created_at``. Whichever of the two is evaluated second takes the first one's value
    (also when the caller set one of them explicitly). ``context`` is SQLAlchemy's execution
    context (a required argument, or SQLAlchemy would call the function without it).
    """
    row = context.get_current_parameters()
    for name in STAMP_COLUMNS:
        value = row.get(name)
        if isinstance(value, datetime):
            return value
    return utcnow()
