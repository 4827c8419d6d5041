"""Declarative base, naming convention and the mixins every table is built from.

The naming convention makes constraint names deterministic, which Alembic needs to drop or
alter them on both dialects (SQLite's batch mode recreates tables by name).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DefaultClause, ForeignKey, MetaData, String, Table, Uuid, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from evalledger.db.server_defaults import server_default_for
from evalledger.db.types import UTCDateTime, row_stamp, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The project every row belongs to when no other is named (created by the first migration).
DEFAULT_PROJECT_ID = uuid.UUID("00000000-0000-0000-0000-000000000001")
DEFAULT_PROJECT_NAME = "default"


class Base(AsyncAttrs, DeclarativeBase):
    """Base for every evalledger table.

    Every column with a Python default also gets the matching server default
    (:mod:`evalledger.db.server_defaults`), so rows inserted by plain SQL are complete too.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        table = cls.__dict__.get("__table__")
        if isinstance(table, Table):
            add_server_defaults(table)


def add_server_defaults(table: Table) -> None:
    """Give each column of ``table`` with a Python default the same default on the server."""
    for column in table.columns:
        default = column.default
        if default is None or column.server_default is not None:
            continue
        arg = getattr(default, "arg", None)
        DefaultClause(server_default_for(arg, column.type))._set_parent_with_dispatch(column)


class UUIDMixin:
    """A UUID primary key, generated client-side so ids can be known before the insert (the
    server generates one for rows inserted by plain SQL)."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """Timezone-aware UTC ``created_at`` and ``updated_at`` set by the application.

    Set in Python so that both dialects store identical values and an export/import round trip
    preserves them exactly; the server default (now) only serves rows inserted by plain SQL.
    """

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=row_stamp, nullable=False, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=row_stamp, onupdate=utcnow, nullable=False
    )


class NamedMixin:
    """A human name and an optional description (seed 004)."""

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class ProjectScopedMixin:
    """Tenancy: every domain row carries the project it belongs to."""

    @declared_attr
    def project_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid,
            ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
            default=DEFAULT_PROJECT_ID,
        )


__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEFAULT_PROJECT_NAME",
    "Base",
    "NamedMixin",
    "ProjectScopedMixin",
    "TimestampMixin",
    "UUIDMixin",
    "func",
]
