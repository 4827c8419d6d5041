"""The streamed export of results: every result a results filter selects, page by page.

The export walks the same keyset query as ``list_results`` (:mod:`results_query`) in pages of
:data:`EXPORT_PAGE`, each page read in its own short unit of work and written before the next
is read, so memory stays flat and no transaction stays open for the whole export. The keyset
makes the walk safe while results are being recorded: no result appears twice and none that
existed when the export started is skipped. In-process the pages go into a file
(:meth:`AgentsFacade.export_results`); over REST they are the streamed response body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any, TypedDict

from evalledger.agents import results_query
from evalledger.agents.results_rows import ExportFormat, check_format, encode_page
from evalledger.agents.results_schemas import ORDERS, SORTS, ResultFilter, result_filter
from evalledger.errors import ValidationFailed
from evalledger.uow import UnitOfWork

#: Results per page of the walk (one query, one unit of work each).
EXPORT_PAGE = 5000


class ResultFilters(TypedDict, total=False):
    """The filter keyword arguments of ``list_results``, which ``export_results`` takes too."""

    agent: str | None
    test_type: str | None
    category: str | None
    difficulty: str | None
    passed: bool | None
    min_score: float | None
    max_score: float | None
    since: datetime | str | None
    until: datetime | str | None
    tag: str | Sequence[str] | None
    agent_version: str | None
    metadata: str | Sequence[str] | None
    sort: str
    order: str


class ExportPlan:
    """An export's checked arguments: checked before the first byte, so a bad filter is a
    clear 4xx (or ``ValidationFailed``), never a broken stream."""

    def __init__(self, fmt: str, filters: ResultFilters) -> None:
        values: dict[str, Any] = dict(filters)
        self.sort: Any = values.pop("sort", "time")
        self.order: Any = values.pop("order", "desc")
        if self.sort not in SORTS:
            raise ValidationFailed("sort: expected time or score", field="sort")
        if self.order not in ORDERS:
            raise ValidationFailed("order: expected desc or asc", field="order")
        self.format: ExportFormat = check_format(fmt)
        self.where: ResultFilter = result_filter(**values)


async def export_chunks(
    read: Callable[[], UnitOfWork], plan: ExportPlan, *, page_size: int = EXPORT_PAGE
) -> AsyncIterator[tuple[int, bytes]]:
    """``(results in the chunk, encoded chunk)`` for each page; the CSV header comes first."""
    cursor: str | None = None
    first = True
    while True:
        async with read() as uow:
            page = await results_query.list_results(
                uow, plan.where, sort=plan.sort, order=plan.order, limit=page_size, cursor=cursor
            )
        if page.items or first:
            yield len(page.items), encode_page(page.items, plan.format, first=first)
        first = False
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
