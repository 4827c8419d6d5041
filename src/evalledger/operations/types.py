"""Parameter types an operation declaration uses; one rule each, the same on every transport.

* :data:`In` -- a request body: the model, or a mapping validated into it.
* :data:`AnyId` -- a UUID, or its text; validated as a UUID (a bad one is a 422 naming it).
* :data:`PageLimit` (or :data:`PageSize` with a default) / :data:`Cursor` -- the page size
  (1 to :data:`MAX_PAGE_SIZE`; more is refused, never clamped) and the
  opaque keyset cursor (at most :data:`MAX_CURSOR_LENGTH` characters) of every list.
* :data:`IdempotencyKey` -- sent as the ``Idempotency-Key`` header; retrying a write with the
  same key applies it once (the same key with a different body is a 409).
* :class:`WireName` -- a path or query parameter whose REST name differs from its Python name
  (``?type=`` for ``event_type``), so an existing URL contract survives the declaration.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias, TypeVar

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel, Field

from evalledger.api.types import MAX_PAGE_SIZE

__all__ = ["MAX_CURSOR_LENGTH", "MAX_PAGE_SIZE", "AnyId", "Cursor", "FromHeader"]
__all__ += ["IdempotencyKey", "In", "PageLimit", "WireName", "as_model", "as_uuid"]

M = TypeVar("M", bound=BaseModel)

#: A request body: the model itself or a mapping that validates into it.
In: TypeAlias = M | Mapping[str, Any]
#: An id in a path: a UUID or its text.
AnyId: TypeAlias = uuid.UUID | str

#: Longest cursor any list accepts (cursors the server issues are far shorter).
MAX_CURSOR_LENGTH = 500


@dataclass(frozen=True)
class FromHeader:
    """Marks a parameter that travels as an HTTP header instead of a query parameter."""

    alias: str


@dataclass(frozen=True)
class WireName:
    """Marks a path or query parameter whose name over HTTP is ``name``, not the Python one.

    For URLs that predate the declaration (``?type=`` is ``event_type``, ``{name}`` is
    ``node``): the Python API keeps its readable name and the wire keeps its published one.
    """

    name: str


PageLimit = Annotated[
    int | None, Ge(1), Le(MAX_PAGE_SIZE), Field(description=f"page size, at most {MAX_PAGE_SIZE}")
]
#: ``limit`` of a list that always has a page size (its default is the declaration's).
PageSize = Annotated[
    int, Ge(1), Le(MAX_PAGE_SIZE), Field(description=f"page size, at most {MAX_PAGE_SIZE}")
]
Cursor = Annotated[
    str | None, MaxLen(MAX_CURSOR_LENGTH), Field(description="the previous page's next_cursor")
]
IdempotencyKey = Annotated[
    str | None,
    FromHeader("Idempotency-Key"),
    MaxLen(255),
    Field(description="Client-chosen key; retrying with the same key applies the write once."),
]


def as_model(model: type[M], value: M | Mapping[str, Any]) -> M:
    """``value`` as ``model`` (the operation layer has validated it already; this narrows the
    type for the handler and validates when a handler is called directly)."""
    return value if isinstance(value, model) else model.model_validate(value)


def as_uuid(value: AnyId) -> uuid.UUID:
    """``value`` as a UUID (validated already by the operation layer)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
