"""One page of a keyset-paginated list: shared by the server and the light remote client.

Kept free of SQLAlchemy so that ``evalledger.Client`` imports no database code.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a keyset-paginated list; pass ``next_cursor`` back as ``cursor``."""

    items: list[ItemT]
    next_cursor: str | None = Field(None, description="opaque; absent on the last page")
