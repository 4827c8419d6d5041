"""The agent-metrics operations as the SDK exposes them (seed 001's method names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from evalledger.agents import results_query, results_summary
from evalledger.agents.batch import record_batch
from evalledger.agents.grouping import GroupRegistry
from evalledger.agents.repository import AgentRepository
from evalledger.agents.results_schemas import (
    ResultSort,
    ResultsSummary,
    SortOrder,
    check_group_by,
    check_listing,
    result_filter,
)
from evalledger.agents.schemas import (
    AgentMetricsOut,
    AgentMetricsUpdate,
    AgentsOverview,
    AgentUpdated,
    AnalyticsSummary,
    BatchIn,
    BatchRecorded,
    BatchResultIn,
    BulkUpdated,
    CustodyMetrics,
    CustodyTestIn,
    CustodyTestOut,
    CustodyTestRecorded,
    LearningIn,
)
from evalledger.agents.service import AgentMetricsService
from evalledger.db.engine import PerDatabase
from evalledger.pagination import Page
from evalledger.runtime import gc_paused
from evalledger.sdk.base import LedgerBase
from evalledger.sdk.recorder import Recorder
from evalledger.uow import UnitOfWork

#: One group-commit registry per database (shared by every actor's view of the ledger).
_groups = PerDatabase(GroupRegistry)


def _model(cls: Any, value: Any) -> Any:
    return value if isinstance(value, cls) else cls.model_validate(value)


class AgentsFacade(LedgerBase):
    def _agents(self, uow: UnitOfWork) -> AgentMetricsService:
        return AgentMetricsService(uow, self.settings)

    async def get_agent_metrics(self, agent_type: str) -> AgentMetricsOut:
        async with self._read() as uow:
            return await self._agents(uow).get_agent_metrics(agent_type)

    async def get_all_agent_metrics(self) -> AgentsOverview:
        async with self._read() as uow:
            return await self._agents(uow).get_all_agent_metrics()

    async def list_agents(self) -> list[AgentMetricsOut]:
        async with self._read() as uow:
            return await self._agents(uow).list_agents()

    async def get_custody_metrics(self, agent_type: str) -> CustodyMetrics:
        async with self._read() as uow:
            return await self._agents(uow).get_custody_metrics(agent_type)

    async def get_analytics_summary(self) -> AnalyticsSummary:
        async with self._read() as uow:
            return await self._agents(uow).get_analytics_summary()

    async def create_or_update_agent_metrics(
        self,
        agent_type: str,
        data: AgentMetricsUpdate | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        body = _model(AgentMetricsUpdate, data or {})
        async with self._write() as uow:
            return await self._agents(uow).create_or_update_agent_metrics(
                agent_type, body, idempotency_key=idempotency_key
            )

    async def update_specific_metrics(
        self,
        agent_type: str,
        updates: AgentMetricsUpdate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        body = _model(AgentMetricsUpdate, updates)
        async with self._write() as uow:
            return await self._agents(uow).update_specific_metrics(
                agent_type, body, idempotency_key=idempotency_key
            )

    async def update_custody_test_result(
        self, agent_type: str, result: CustodyTestIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        """Record one result. Concurrent calls share a transaction (group commit, see
        :mod:`evalledger.agents.grouping`); each still gets its own exact answer."""
        body = _model(CustodyTestIn, result)
        # One queue per actor: whatever arrives while a transaction runs, for any agent, is
        # recorded together in the next one (agents locked in sorted order, one UPDATE
        # statement for all of them), so 16 writers cost one transaction, not 16.
        key = (self.actor,)
        committer = _groups(self.db).committer(key, self._record_together, self._record_alone)
        return await committer.submit((agent_type, body))

    async def _record_alone(self, item: tuple[str, CustodyTestIn]) -> CustodyTestRecorded:
        async with self._write() as uow:
            return await self._agents(uow).update_custody_test_result(*item)

    async def _record_together(
        self, items: Sequence[tuple[str, CustodyTestIn]]
    ) -> list[CustodyTestRecorded]:
        async with self._write() as uow:
            return await self._agents(uow).record_results_together(items)

    async def update_learning_metrics(
        self,
        agent_type: str,
        data: LearningIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        body = _model(LearningIn, data)
        async with self._write() as uow:
            return await self._agents(uow).update_learning_metrics(
                agent_type, body, idempotency_key=idempotency_key
            )

    async def bulk_update_metrics(
        self,
        updates: Mapping[str, AgentMetricsUpdate | Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> BulkUpdated:
        body = {k: _model(AgentMetricsUpdate, v) for k, v in updates.items()}
        async with self._write() as uow:
            return await self._agents(uow).bulk_update_metrics(
                body, idempotency_key=idempotency_key
            )

    async def reset_agent_metrics(
        self, agent_type: str, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        async with self._write() as uow:
            return await self._agents(uow).reset_agent_metrics(
                agent_type, idempotency_key=idempotency_key
            )

    async def seed_default_agents(self) -> list[str]:
        async with self._write() as uow:
            return await self._agents(uow).seed_default_agents()

    async def record_custody_tests(
        self, results: Sequence[BatchResultIn | Mapping[str, Any]]
    ) -> BatchRecorded:
        """Record many results (each names its ``agent_type``) in one transaction."""
        # One validation pass: dicts become BatchResultIn, instances are taken as they are.
        with gc_paused():
            body = BatchIn.model_validate({"results": list(results)})
        async with self._write() as uow:
            return await record_batch(uow, body.results)

    async def list_results(
        self,
        *,
        agent: str | None = None,
        test_type: str | None = None,
        category: str | None = None,
        difficulty: str | None = None,
        passed: bool | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        tag: str | Sequence[str] | None = None,
        agent_version: str | None = None,
        metadata: str | Sequence[str] | None = None,
        sort: ResultSort = "time",
        order: SortOrder = "desc",
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[CustodyTestOut]:
        """One page of results, newest first (or by score); every filter given must hold.

        ``tag``: results carrying all these tags; ``metadata``: ``"key=value"`` conditions
        (values compared as text); ``until`` is exclusive. Pass ``next_cursor`` back as
        ``cursor`` for the next page (with the same filters and ordering).
        """
        where = result_filter(
            agent=agent,
            test_type=test_type,
            category=category,
            difficulty=difficulty,
            passed=passed,
            min_score=min_score,
            max_score=max_score,
            since=since,
            until=until,
            tag=tag,
            agent_version=agent_version,
            metadata=metadata,
        )
        check_listing(sort, order, limit)
        async with self._read() as uow:
            return await results_query.list_results(
                uow, where, sort=sort, order=order, limit=limit, cursor=cursor
            )

    async def summarize_results(
        self,
        agent: str,
        *,
        group_by: str = "agent_version",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> ResultsSummary:
        """An agent's results grouped by ``agent_version``, ``tag``, ``category`` or
        ``metadata.KEY``: count, pass rate (Wilson 95%) and mean score (95%) per group."""
        where = result_filter(agent=agent, since=since, until=until)
        check_group_by(group_by)
        async with self._read() as uow:
            await AgentRepository(uow).get(agent)  # 404 for an unknown agent
            return await results_summary.summarize(uow, where, group_by)

    def recorder(self, batch_size: int = 1000) -> Recorder:
        """``async with ledger.recorder() as rec: await rec.record("guardian", passed=True,
        score=90)``: results are buffered and written in batches, the rest on exit."""
        return Recorder(self.record_custody_tests, batch_size)
