"""Request dependencies: who is calling, and the ledger acting for them.

``Reader``/``Writer``/``Admin`` are ``Annotated`` aliases: a route names the scope it needs
in its signature and receives a :class:`~evalledger.sdk.ledger.Ledger` scoped to the caller's
project, so a route cannot forget tenancy.
"""

from __future__ import annotations

from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from fastapi import Depends, Header, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from evalledger.errors import PermissionDenied, Unauthenticated, ValidationFailed
from evalledger.uow import Actor

if TYPE_CHECKING:
    # The Ledger sits above every domain, and the domains' routers import these dependencies:
    # a run-time import would close the cycle sdk -> domain -> operations -> sdk.
    from evalledger.sdk.ledger import Ledger

_RANK = {"read": 0, "write": 1, "admin": 2}

#: ``X-Read-Consistency: primary`` sends a request's reads to the primary (docs/scaling.md).
READ_CONSISTENCY_HEADER = "x-read-consistency"


def _is_list(annotation: Any) -> bool:
    """Whether a parameter's annotation is a list (``list[str] | None`` included)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_list(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_is_list(a) for a in get_args(annotation))
    return origin in (list, set, tuple, frozenset)


_QUERY_NAMES: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _query_aliases(dependant: Dependant) -> tuple[set[str], set[str]]:
    """``(every query parameter, those declared as lists and so repeatable)``."""
    names = {param.alias for param in dependant.query_params}
    repeatable = {
        param.alias for param in dependant.query_params if _is_list(param.field_info.annotation)
    }
    for sub in dependant.dependencies:
        more, more_repeatable = _query_aliases(sub)
        names |= more
        repeatable |= more_repeatable
    return names, repeatable


def _declared_query(route: object) -> tuple[frozenset[str], frozenset[str]]:
    key = id(route)
    found = _QUERY_NAMES.get(key)
    if found is None:
        dependant = getattr(route, "dependant", None)
        names, repeatable = _query_aliases(dependant) if dependant is not None else (set(), set())
        found = _QUERY_NAMES[key] = (frozenset(names), frozenset(repeatable))
    return found


async def strict_query(request: Request) -> None:
    """Refuse query parameters a route does not declare, declared ones given twice, and NUL.

    FastAPI would silently ignore ``?limt=5`` (a typo) or keep only the last of
    ``?type=a&type=b``; both are 422s naming the parameter, so a client never mistakes an
    ignored filter for an applied one. A parameter declared as a list (``?tag=a&tag=b``) may
    repeat. Installed on every route by the app factory.
    """
    route = request.scope.get("route")
    if route is None:
        return
    declared, repeatable = _declared_query(route)
    seen: set[str] = set()
    for name, value in request.path_params.items():
        if "\x00" in str(value):
            raise ValidationFailed("path parameters may not contain NUL (%00)", field=name)
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise ValidationFailed(
                "query parameters may not contain NUL (%00)", field=name.replace("\x00", "")
            )
        if name not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            raise ValidationFailed(
                f"unknown query parameter {name[:50]!r} (allowed: {allowed})", field=name[:50]
            )
        if name in seen and name not in repeatable:
            raise ValidationFailed(f"query parameter {name!r} given more than once", field=name)
        seen.add(name)


async def current_actor(request: Request) -> Actor:
    state = request.app.state
    if state.no_auth:
        return Actor(name="no-auth")
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("missing or malformed Authorization header: use 'Bearer <key>'")
    from evalledger.tenancy import service as tenancy

    ledger: Ledger = state.ledger
    actor = await tenancy.authenticate_cached(ledger.db, secret.strip())
    request.state.key_id = str(actor.key_id)
    return actor


#: Declares the bearer scheme so that each operation's OpenAPI ``security`` names the key
#: scope it needs (``{"bearer": ["write"]}``); authentication itself is :func:`current_actor`.
_BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="evalledger API key")


def _scoped(required: str):  # type: ignore[no-untyped-def]
    async def dependency(
        request: Request,
        actor: Actor = Depends(current_actor),
        _documented: HTTPAuthorizationCredentials | None = Security(_BEARER, scopes=[required]),
    ) -> Ledger:
        if _RANK[actor.scope] < _RANK[required]:
            raise PermissionDenied(f"this API key has scope {actor.scope!r}; {required!r} needed")
        ledger: Ledger = request.app.state.ledger
        scoped = ledger.as_actor(actor)
        if request.headers.get(READ_CONSISTENCY_HEADER, "").strip().lower() == "primary":
            # The caller must see its own earlier write: skip the read replicas.
            scoped = scoped.pin_primary()
        return scoped

    return dependency


if TYPE_CHECKING:
    Reader = Annotated[Ledger, Depends(_scoped("read"))]
    Writer = Annotated[Ledger, Depends(_scoped("write"))]
    Admin = Annotated[Ledger, Depends(_scoped("admin"))]
else:
    # FastAPI never validates a dependency's declared type, so at run time it need not be
    # the Ledger class (which would import every domain, see above).
    Reader = Annotated[Any, Depends(_scoped("read"))]
    Writer = Annotated[Any, Depends(_scoped("write"))]
    Admin = Annotated[Any, Depends(_scoped("admin"))]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Client-chosen key; retrying with the same key applies the write once.",
    ),
]
