"""Query-parameter types of the REST routes (FastAPI ``Query``), bounded like every input.

Kept apart from :mod:`evalledger.api.types`, which the SDK's schemas share, so that
``evalledger.Client`` does not import FastAPI.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from evalledger.api.types import MAX_PAGE_SIZE

#: ``?limit=``: page size, 1 to :data:`~evalledger.api.types.MAX_PAGE_SIZE`.
PageLimit = Annotated[
    int | None,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"page size, at most {MAX_PAGE_SIZE}"),
]
#: ``?cursor=``: the opaque ``next_cursor`` of the previous page.
Cursor = Annotated[str | None, Query(max_length=500, description="the previous page's next_cursor")]
