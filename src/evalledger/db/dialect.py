"""Statements whose spelling differs between SQLite and PostgreSQL, written once.

Business code calls these helpers; it never branches on the dialect itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase


def insert(dialect_name: str, target: type[DeclarativeBase] | Table) -> Any:
    """An INSERT construct that supports ``on_conflict_do_nothing/update`` on either backend."""
    if dialect_name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)
