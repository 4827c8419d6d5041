"""A generic, typed async repository: the CRUD every domain would otherwise copy.

A domain repository subclasses :class:`Repository` with its model and adds only the queries
that are particular to it. Everything here is scoped to the unit of work's project when the
model carries ``project_id``, so tenancy cannot be forgotten in a hand-written query.

Listing uses keyset pagination over ``(created_at, id)``: the cursor is the last row's pair,
opaque to clients (base64 JSON), and a page costs the same at row 10 and row 10,000,000.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, Table, bindparam, delete, func, literal, select, text, tuple_, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import ARRAY as PG_ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption
from sqlalchemy.sql.elements import ColumnElement

from evalledger.db.base import Base
from evalledger.db.dialect import insert
from evalledger.db.types import utcnow
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.pagination import Page as Page  # re-exported: servers import it from here

if TYPE_CHECKING:
    # uow.py imports the database layer; the unit of work is only a parameter type here.
    from evalledger.uow import UnitOfWork

ModelT = TypeVar("ModelT", bound=Base)

#: Rows per statement in bulk work: under SQLite's and asyncpg's bind-parameter limits.
BULK_CHUNK = 500


@dataclass(frozen=True)
class Range:
    """An inclusive range filter on one column; either end may be open."""

    low: Any = None
    high: Any = None


def encode_cursor(created_at: datetime, row_id: uuid.UUID, *lead: float) -> str:
    """The opaque cursor after the row ``(created_at, row_id)``.

    ``lead`` are the values of sort columns that come before ``created_at`` in the order (the
    score, in results sorted by score); :func:`decode_keyed_cursor` reads them back.
    """
    raw = json.dumps([created_at.isoformat(), str(row_id), *lead]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    _, at, row_id = decode_keyed_cursor(cursor, 0)
    return at, row_id


def decode_keyed_cursor(cursor: str, leads: int) -> tuple[list[float], datetime, uuid.UUID]:
    """``(lead values, created_at, id)`` of a cursor with ``leads`` leading sort values.

    A cursor of another ordering (more or fewer leading values) is refused like a malformed
    one, so a cursor is only ever read in the order that wrote it.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, row_id, *lead = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if len(lead) != leads or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in lead
        ):
            raise ValueError("cursor of another ordering")
        return [float(v) for v in lead], datetime.fromisoformat(stamp), uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "cursor is malformed; pass back a next_cursor", field="cursor"
        ) from exc


def row_to_dict(row: Base) -> dict[str, Any]:
    """A mapped row as ``{column name: value}`` (so attribute ``metadata_`` -> ``metadata``)."""
    mapper = sa_inspect(row).mapper
    return {attr.columns[0].name: getattr(row, attr.key) for attr in mapper.column_attrs}


async def id_owners(
    uow: UnitOfWork, table: Table, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """``{id: project id}`` for those of ``ids`` that exist in ``table``, in ANY project.

    Ids are global (UUIDs clients may choose), so a write must tell "my own row again"
    (replay, duplicate) from "another project's row" (409) without showing anything of that
    row. Under PostgreSQL row-level security the tenant cannot see other projects' rows, so
    the question goes through ``evalledger_id_owners`` (migration 0005), a ``SECURITY
    DEFINER`` function that answers only for ids the caller already names.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    if uow.db.row_security and uow.tenant_scoped:
        stmt = text("SELECT id, project_id FROM evalledger_id_owners(:tbl, :ids)").bindparams(
            bindparam("ids", type_=PG_ARRAY(PG_UUID(as_uuid=True)))
        )
        rows = await uow.session.execute(stmt, {"tbl": table.name, "ids": wanted})
    else:
        rows = await uow.session.execute(
            select(table.c.id, table.c.project_id).where(table.c.id.in_(wanted))
        )
    return {row.id: row.project_id for row in rows.all()}


def past_key(
    created: Any,
    ident: Any,
    at: datetime,
    row_id: Any,
    *,
    descending: bool,
    lead: Sequence[tuple[Any, Any]] = (),
) -> ColumnElement[bool]:
    """Rows strictly after ``(at, row_id)`` in ``(created_at, id)`` order, as one row-value
    comparison: ``(created_at, id) > (:at, :id)``. Unlike the equivalent ``OR`` of two
    conditions, both PostgreSQL and SQLite turn it into an index range scan, so every page of
    a keyset walk costs the same. ``lead`` are ``(column, value)`` pairs of sort columns that
    come first (``(score, created_at, id) < (:score, :at, :id)``)."""
    key = tuple_(*(c for c, _ in lead), created, ident)
    bound = tuple_(
        *(literal(v, c.type) for c, v in lead),
        literal(at, created.type),
        literal(row_id, ident.type),
    )
    return key < bound if descending else key > bound


class Repository(Generic[ModelT]):
    """CRUD, filtering, keyset pagination, bulk work and eager loading for one model."""

    model: ClassVar[type[Base]]
    #: Relationships loaded with every read (no lazy loads in async code).
    eager: ClassVar[tuple[str, ...]] = ()

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    # -- building blocks ----------------------------------------------------------------

    @property
    def _scoped(self) -> bool:
        return "project_id" in self.model.__table__.columns

    def _col(self, name: str) -> Any:
        try:
            return self.model.__table__.columns[name]
        except KeyError:
            raise ValidationFailed(f"unknown field {name!r}", field=name) from None

    def _options(self) -> list[LoaderOption]:
        return [selectinload(getattr(self.model, rel)) for rel in self.eager]

    def select(self) -> Select[Any]:
        """``SELECT model`` already limited to the current project."""
        stmt = select(self.model).options(*self._options())
        if self._scoped:
            stmt = stmt.where(self._col("project_id") == self.uow.project_id)
        return stmt

    def where(
        self,
        stmt: Select[Any],
        filters: Mapping[str, Any] | None = None,
        ranges: Mapping[str, Range] | None = None,
    ) -> Select[Any]:
        """Equality filters (``None`` values ignored; lists mean IN) and inclusive ranges."""
        for name, value in (filters or {}).items():
            if value is None:
                continue
            col = self._col(name)
            if isinstance(value, list | tuple | set | frozenset):
                stmt = stmt.where(col.in_(list(value)))
            else:
                stmt = stmt.where(col == value)
        for name, rng in (ranges or {}).items():
            col = self._col(name)
            if rng.low is not None:
                stmt = stmt.where(col >= rng.low)
            if rng.high is not None:
                stmt = stmt.where(col <= rng.high)
        return stmt

    # -- reads --------------------------------------------------------------------------

    async def find(self, row_id: Any) -> ModelT | None:
        stmt = self.select().where(self._col("id") == row_id)
        result: ModelT | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return result

    async def get(self, row_id: Any, *, lock: bool = False) -> ModelT:
        """The row, or :class:`NotFoundError` (also for another project's rows)."""
        stmt = self.select().where(self._col("id") == row_id)
        if lock:
            stmt = stmt.with_for_update()
        row: ModelT | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            name = self.model.__tablename__.rstrip("s").replace("_", " ")
            raise NotFoundError(f"{name} {row_id} not found", field="id")
        return row

    async def find_by(self, **filters: Any) -> ModelT | None:
        stmt = self.where(self.select(), filters).limit(2)
        rows = list((await self.session.execute(stmt)).scalars())
        return rows[0] if rows else None

    async def count(
        self, filters: Mapping[str, Any] | None = None, ranges: Mapping[str, Range] | None = None
    ) -> int:
        stmt = select(func.count()).select_from(self.model)
        if self._scoped:
            stmt = stmt.where(self._col("project_id") == self.uow.project_id)
        stmt = self.where(stmt, filters, ranges)
        return int((await self.session.execute(stmt)).scalar_one())

    async def list(
        self,
        filters: Mapping[str, Any] | None = None,
        ranges: Mapping[str, Range] | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        newest_first: bool = True,
    ) -> tuple[Sequence[ModelT], str | None]:
        """A keyset page ordered by ``(created_at, id)``; returns ``(rows, next_cursor)``."""
        created, ident = self._col("created_at"), self._col("id")
        stmt = self.where(self.select(), filters, ranges)
        if cursor is not None:
            at, after_id = decode_cursor(cursor)
            stmt = stmt.where(past_key(created, ident, at, after_id, descending=newest_first))
        order = (created.desc(), ident.desc()) if newest_first else (created.asc(), ident.asc())
        stmt = stmt.order_by(*order).limit(limit + 1)
        rows = list((await self.session.execute(stmt)).scalars())
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            next_cursor = encode_cursor(last.created_at, last.id)
        return rows, next_cursor

    # -- writes -------------------------------------------------------------------------

    async def add(self, **values: Any) -> ModelT:
        """Insert one row (in the current project) and return it, flushed and loaded."""
        if self._scoped:
            values.setdefault("project_id", self.uow.project_id)
        row = self.model(**values)
        self.session.add(row)
        await self.session.flush()
        return await self.get(row.id) if self.eager else row  # type: ignore[attr-defined,return-value]

    async def update(self, row_id: Any, **values: Any) -> ModelT:
        """Update one row of this project; :class:`NotFoundError` if it is not there."""
        stmt = update(self.model).where(self._col("id") == row_id)
        if self._scoped:
            stmt = stmt.where(self._col("project_id") == self.uow.project_id)
        if "updated_at" in self.model.__table__.columns:
            values.setdefault("updated_at", utcnow())
        result = await self.session.execute(stmt.values(**values))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFoundError(f"{self.model.__tablename__} {row_id} not found", field="id")
        self.session.expire_all()
        return await self.get(row_id)

    async def delete(self, row_id: Any) -> None:
        stmt = delete(self.model).where(self._col("id") == row_id)
        if self._scoped:
            stmt = stmt.where(self._col("project_id") == self.uow.project_id)
        result = await self.session.execute(stmt)
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFoundError(f"{self.model.__tablename__} {row_id} not found", field="id")

    async def bulk_insert(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Insert many rows with executemany, chunked; ids and timestamps filled in."""
        table: Table = self.model.__table__  # type: ignore[assignment]
        now = utcnow()
        count = 0
        chunk: list[dict[str, Any]] = []
        for row in rows:
            values = dict(row)
            values.setdefault("id", uuid.uuid4())
            if self._scoped:
                values.setdefault("project_id", self.uow.project_id)
            if "created_at" in table.columns:
                values.setdefault("created_at", now)
            if "updated_at" in table.columns:
                values.setdefault("updated_at", now)
            chunk.append(values)
            if len(chunk) >= BULK_CHUNK:
                await self.session.execute(table.insert(), chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            await self.session.execute(table.insert(), chunk)
            count += len(chunk)
        return count

    async def upsert(
        self,
        values: Mapping[str, Any],
        *,
        conflict: Sequence[str],
        update_columns: Sequence[str] | None = None,
    ) -> ModelT:
        """Insert a row or, when it collides on the unique ``conflict`` columns, update it.

        One ``INSERT ... ON CONFLICT DO UPDATE`` statement on both backends, so concurrent
        upserts of the same key never fail and never duplicate. ``update_columns`` defaults to
        every given column except the conflict columns, ``id``, ``project_id`` and
        ``created_at``. Returns the stored row, reloaded.
        """
        table: Table = self.model.__table__  # type: ignore[assignment]
        now = utcnow()
        row = dict(values)
        row.setdefault("id", uuid.uuid4())
        if self._scoped:
            row.setdefault("project_id", self.uow.project_id)
        if "created_at" in table.columns:
            row.setdefault("created_at", now)
        if "updated_at" in table.columns:
            row.setdefault("updated_at", now)
        keep = {"id", "project_id", "created_at", *conflict}
        columns = (
            list(update_columns)
            if update_columns is not None
            else [c for c in row if c not in keep]
        )
        if "updated_at" in table.columns and "updated_at" not in columns:
            columns.append("updated_at")
        stmt = insert(self.uow.dialect, table).values(row)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(conflict), set_={c: stmt.excluded[c] for c in columns}
        ).returning(table.c.id)
        row_id = (await self.session.execute(stmt)).scalar_one()
        self.session.expire_all()
        return await self.get(row_id)
