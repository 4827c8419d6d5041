"""Request dependencies: who is calling, and the ledger acting for them.

``Reader``/``Writer``/``Admin`` are ``Annotated`` aliases: a route names the scope it needs
in its signature and receives a :class:`~evalledger.sdk.ledger.Ledger` scoped to the caller's
project, so a route cannot forget tenancy.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from evalledger.errors import PermissionDenied, Unauthenticated
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import Actor

_RANK = {"read": 0, "write": 1, "admin": 2}

#: ``X-Read-Consistency: primary`` sends a request's reads to the primary (docs/scaling.md).
READ_CONSISTENCY_HEADER = "x-read-consistency"


async def current_actor(request: Request) -> Actor:
    state = request.app.state
    if state.no_auth:
        return Actor(name="no-auth")
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("missing or malformed Authorization header: use 'Bearer <key>'")
    ledger: Ledger = state.ledger
    actor = await tenancy.authenticate_cached(ledger.db, secret.strip())
    request.state.key_id = str(actor.key_id)
    return actor


def _scoped(required: str):  # type: ignore[no-untyped-def]
    async def dependency(request: Request, actor: Actor = Depends(current_actor)) -> Ledger:
        if _RANK[actor.scope] < _RANK[required]:
            raise PermissionDenied(f"this API key has scope {actor.scope!r}; {required!r} needed")
        ledger: Ledger = request.app.state.ledger
        scoped = ledger.as_actor(actor)
        if request.headers.get(READ_CONSISTENCY_HEADER, "").strip().lower() == "primary":
            # The caller must see its own earlier write: skip the read replicas.
            scoped = scoped.pin_primary()
        return scoped

    return dependency


Reader = Annotated[Ledger, Depends(_scoped("read"))]
Writer = Annotated[Ledger, Depends(_scoped("write"))]
Admin = Annotated[Ledger, Depends(_scoped("admin"))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Client-chosen key; retrying with the same key applies the write once.",
    ),
]
