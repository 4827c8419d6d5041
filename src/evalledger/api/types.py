"""Moved to :mod:`evalledger.schema.types` (the shared schema core, issue #16).

Kept only for ``agents/`` until it imports the core; remove it then.
"""

from __future__ import annotations

from typing import Any

from evalledger.schema.types import *  # noqa: F403
from evalledger.schema.types import MAX_LIST_ITEMS, MAX_PAGE_SIZE, IsoDatetime, RequestModel

__all__ = ["MAX_LIST_ITEMS", "MAX_PAGE_SIZE", "IsoDatetime", "RequestModel"]


def __getattr__(name: str) -> Any:
    # ``from evalledger.api.types import PageLimit`` keeps working for the old routers.
    if name in ("PageLimit", "Cursor"):
        from evalledger.api import params

        return getattr(params, name)
    raise AttributeError(name)
