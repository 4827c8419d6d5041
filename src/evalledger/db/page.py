"""A page of a keyset-paginated list, shared by the repositories, the API and the SDK's
clients (so the clients need no database layer to read one)."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a keyset-paginated list; pass ``next_cursor`` back as ``cursor``."""

    items: list[ItemT]
    next_cursor: str | None = Field(None, description="opaque; absent on the last page")
