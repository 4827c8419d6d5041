"""Idempotency keys: a retried write returns the first answer and changes nothing.

A client that may retry a write sends a key (the ``Idempotency-Key`` header, or an
``idempotency_key=`` argument in the SDK). The first statement of the write's transaction
claims the key with ``INSERT ... ON CONFLICT DO NOTHING``; on PostgreSQL a concurrent claim of
the same key blocks on the unique index until the first transaction ends, then sees its row.
The response is stored in the same transaction, so a key is recorded if and only if the write
it guards committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import String, Table, Uuid, select, update
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base
from evalledger.db.dialect import insert
from evalledger.db.types import JSONType, UTCDateTime, utcnow
from evalledger.errors import ConflictError
from evalledger.uow import UnitOfWork

M = TypeVar("M", bound=BaseModel)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100), nullable=False)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


async def run_idempotent(
    uow: UnitOfWork,
    key: str | None,
    operation: str,
    model: type[M],
    apply: Callable[[], Awaitable[M]],
) -> M:
    """Run ``apply`` once per ``key`` within this unit of work; replay its answer afterwards."""
    if key is None:
        return await apply()
    table: Table = IdempotencyKey.__table__  # type: ignore[assignment]
    claim = (
        insert(uow.dialect, table)
        .values(project_id=uow.project_id, key=key, operation=operation, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["project_id", "key"])
        .returning(table.c.key)
    )
    if (await uow.session.execute(claim)).scalar_one_or_none() is None:
        row = (
            await uow.session.execute(
                select(table.c.operation, table.c.response).where(
                    table.c.project_id == uow.project_id, table.c.key == key
                )
            )
        ).one()
        if row.operation != operation:
            raise ConflictError(
                f"Idempotency-Key {key!r} was already used for {row.operation!r}, "
                f"not {operation!r}",
                field="Idempotency-Key",
            )
        return model.model_validate(row.response)
    result = await apply()
    await uow.session.execute(
        update(table)
        .where(table.c.project_id == uow.project_id, table.c.key == key)
        .values(response=result.model_dump(mode="json"))
    )
    return result
