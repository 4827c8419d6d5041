"""The results queries as one service, so the declared operations receive it like any other
domain's: a page of results (:mod:`results_query`) and the grouped comparison
(:mod:`results_summary`)."""

from __future__ import annotations

from evalledger.agents import results_query, results_summary
from evalledger.agents.repository import AgentRepository
from evalledger.agents.results_schemas import ResultFilter, ResultSort, ResultsSummary, SortOrder
from evalledger.agents.schemas import CustodyTestOut
from evalledger.pagination import Page
from evalledger.uow import UnitOfWork


class ResultsService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def list_results(
        self,
        where: ResultFilter,
        *,
        sort: ResultSort,
        order: SortOrder,
        limit: int,
        cursor: str | None,
    ) -> Page[CustodyTestOut]:
        return await results_query.list_results(
            self.uow, where, sort=sort, order=order, limit=limit, cursor=cursor
        )

    async def summarize_results(self, where: ResultFilter, group_by: str) -> ResultsSummary:
        """``where`` names one agent; an unknown one is :class:`NotFoundError`, not an empty
        summary."""
        assert where.agent is not None
        await AgentRepository(self.uow).get(where.agent)
        return await results_summary.summarize(self.uow, where, group_by)
