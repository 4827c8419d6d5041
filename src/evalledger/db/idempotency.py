"""Idempotency keys: a retried write returns the first answer and changes nothing.

A client that may retry a write sends a key (the ``Idempotency-Key`` header, or an
``idempotency_key=`` argument in the SDK). The first statement of the write's transaction
claims the key with ``INSERT ... ON CONFLICT DO NOTHING``; on PostgreSQL a concurrent claim of
the same key blocks on the unique index until the first transaction ends, then sees its row.
The response is stored in the same transaction, so a key is recorded if and only if the write
it guards committed.

The key also remembers a fingerprint of the request it answered (``request_sha256``): the
same key with the same request replays the stored answer, the same key with a different
request is refused with :class:`ConflictError` (HTTP 409), never answered with a response to
something else. Keys stored before the fingerprint existed replay as before.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import String, Table, Uuid, select, update
from sqlalchemy.orm import Mapped, mapped_column

from evalledger.db.base import Base
from evalledger.db.dialect import insert
from evalledger.db.types import JSONType, UTCDateTime, utcnow
from evalledger.errors import ConflictError

if TYPE_CHECKING:
    # uow.py imports the database layer; the unit of work is only a parameter type here.
    from evalledger.uow import UnitOfWork

M = TypeVar("M", bound=BaseModel)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100), nullable=False)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    #: SHA-256 of the request this key answered (NULL for keys stored before revision 0006).
    request_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


def request_fingerprint(operation: str, request: Any) -> str:
    """SHA-256 of the operation and its request, canonical JSON (key order does not matter).

    A schema object counts as the request it validated to, so a body that spells a default
    out and one that leaves it out are the same request.
    """
    if isinstance(request, BaseModel):
        request = request.model_dump(mode="json")
    canonical = json.dumps(
        {"operation": operation, "request": request},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_idempotent(
    uow: UnitOfWork,
    key: str | None,
    operation: str,
    model: type[M],
    apply: Callable[[], Awaitable[M]],
    request: Any = None,
) -> M:
    """Run ``apply`` once per ``key`` within this unit of work; replay its answer afterwards.

    ``request`` is what the caller asked for (a schema object or JSON-like values); a key
    re-sent with a different one raises :class:`ConflictError`.
    """
    if key is None:
        return await apply()
    table: Table = IdempotencyKey.__table__  # type: ignore[assignment]
    fingerprint = request_fingerprint(operation, request)
    claim = (
        insert(uow.dialect, table)
        .values(
            project_id=uow.project_id,
            key=key,
            operation=operation,
            created_at=utcnow(),
            request_sha256=fingerprint,
        )
        .on_conflict_do_nothing(index_elements=["project_id", "key"])
        .returning(table.c.key)
    )
    if (await uow.session.execute(claim)).scalar_one_or_none() is None:
        row = (
            await uow.session.execute(
                select(table.c.operation, table.c.response, table.c.request_sha256).where(
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
        if row.request_sha256 is not None and row.request_sha256 != fingerprint:
            raise ConflictError(
                f"Idempotency-Key {key!r} was already used with a different request body; "
                "send the same body to get the stored answer, or use a new key",
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
