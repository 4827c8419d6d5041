"""Query-parameter types shared by the routers (FastAPI's ``Query``: server side only).

Every list endpoint takes its page size through :data:`PageLimit` (capped at
:data:`~evalledger.schema.types.MAX_PAGE_SIZE`) and its cursor through :data:`Cursor`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from evalledger.schema.types import MAX_PAGE_SIZE

#: ``?limit=``: page size, 1 to :data:`MAX_PAGE_SIZE`.
PageLimit = Annotated[
    int | None,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"page size, at most {MAX_PAGE_SIZE}"),
]
#: ``?cursor=``: the opaque ``next_cursor`` of the previous page.
Cursor = Annotated[str | None, Query(max_length=500, description="the previous page's next_cursor")]
