"""Statements whose spelling differs between SQLite and PostgreSQL, written once.

Business code calls these helpers; it never branches on the dialect itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.dialects import postgresql, sqlite
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
