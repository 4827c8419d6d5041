"""The agent-metrics operations over HTTP: same names and return types as the Ledger's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from evalledger.agents.results_schemas import ResultSort, ResultsSummary, SortOrder
from evalledger.agents.schemas import (
    AgentMetricsEnvelope,
    AgentMetricsOut,
    AgentMetricsUpdate,
    AgentsOverview,
    AgentUpdated,
    AnalyticsEnvelope,
    AnalyticsSummary,
    BatchIn,
    BatchRecorded,
    BatchResultIn,
    BulkUpdated,
    CustodyMetrics,
    CustodyMetricsEnvelope,
    CustodyTestIn,
    CustodyTestOut,
    CustodyTestRecorded,
    LearningIn,
)
from evalledger.audit.client import query
from evalledger.pagination import Page
from evalledger.sdk.http import HttpBase
from evalledger.sdk.recorder import Recorder

BASE = "/api/agent-metrics"


def _body(model: type[BaseModel], value: Any) -> Any:
    parsed = value if isinstance(value, model) else model.model_validate(value or {})
    return parsed.model_dump(mode="json", exclude_unset=True)


def _a(agent_type: str) -> str:
    return f"{BASE}/{quote(agent_type, safe='')}"


class AgentsClient(HttpBase):
    async def get_agent_metrics(self, agent_type: str) -> AgentMetricsOut:
        data = await self._request("GET", _a(agent_type))
        return AgentMetricsEnvelope.model_validate(data).metrics

    async def get_all_agent_metrics(self) -> AgentsOverview:
        return AgentsOverview.model_validate(await self._request("GET", f"{BASE}/"))

    async def get_custody_metrics(self, agent_type: str) -> CustodyMetrics:
        data = await self._request("GET", f"{_a(agent_type)}/custody")
        return CustodyMetricsEnvelope.model_validate(data).custody_metrics

    async def get_analytics_summary(self) -> AnalyticsSummary:
        data = await self._request("GET", f"{BASE}/analytics/summary")
        return AnalyticsEnvelope.model_validate(data).analytics

    async def create_or_update_agent_metrics(
        self,
        agent_type: str,
        data: AgentMetricsUpdate | Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        body = _body(AgentMetricsUpdate, data)
        # PUT is idempotent by nature: safe to retry even without a key.
        out = await self._request("PUT", _a(agent_type), json=body, idempotency_key=idempotency_key)
        return AgentUpdated.model_validate(out)

    async def update_specific_metrics(
        self,
        agent_type: str,
        updates: AgentMetricsUpdate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        await self.get_agent_metrics(agent_type)  # update, never create
        return await self.create_or_update_agent_metrics(
            agent_type, updates, idempotency_key=idempotency_key
        )

    async def update_custody_test_result(
        self, agent_type: str, result: CustodyTestIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        body = _body(CustodyTestIn, result)
        out = await self._request(
            "POST",
            f"{_a(agent_type)}/custody-test",
            json=body,
            # A result with an id is idempotent on that id, so it may be retried.
            retry_safe=body.get("id") is not None,
        )
        return CustodyTestRecorded.model_validate(out)

    async def update_learning_metrics(
        self,
        agent_type: str,
        data: LearningIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> AgentUpdated:
        out = await self._request(
            "POST",
            f"{_a(agent_type)}/learning",
            json=_body(LearningIn, data),
            idempotency_key=idempotency_key,
        )
        return AgentUpdated.model_validate(out)

    async def bulk_update_metrics(
        self,
        updates: Mapping[str, AgentMetricsUpdate | Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> BulkUpdated:
        body = {"updates": {k: _body(AgentMetricsUpdate, v) for k, v in updates.items()}}
        out = await self._request(
            "POST", f"{BASE}/bulk-update", json=body, idempotency_key=idempotency_key
        )
        return BulkUpdated.model_validate(out)

    async def reset_agent_metrics(
        self, agent_type: str, *, idempotency_key: str | None = None
    ) -> AgentUpdated:
        out = await self._request(
            "DELETE", f"{_a(agent_type)}/reset", idempotency_key=idempotency_key
        )
        return AgentUpdated.model_validate(out)

    async def list_agents(self) -> list[AgentMetricsOut]:
        overview = await self.get_all_agent_metrics()
        return [await self.get_agent_metrics(a) for a in overview.agents]

    async def record_custody_tests(
        self, results: Sequence[BatchResultIn | Mapping[str, Any]]
    ) -> BatchRecorded:
        # Validated whole, as in-process: an error names the item (``results.3.score``).
        body = BatchIn.model_validate({"results": list(results)})
        # Retry-safe when every result carries an id: a replay inserts nothing twice.
        out = await self._request(
            "POST",
            "/api/v1/custody-tests:batch",
            json=body.model_dump(mode="json", exclude_unset=True),
            retry_safe=all(r.id is not None for r in body.results),
        )
        return BatchRecorded.model_validate(out)

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
        params = query(
            agent=agent,
            test_type=test_type,
            category=category,
            difficulty=difficulty,
            passed=passed,
            min_score=min_score,
            max_score=max_score,
            since=since,
            until=until,
            tag=[tag] if isinstance(tag, str) else (list(tag) if tag else None),
            agent_version=agent_version,
            metadata=[metadata]
            if isinstance(metadata, str)
            else (list(metadata) if metadata else None),
            sort=sort,
            order=order,
            limit=limit,
            cursor=cursor,
        )
        data = await self._request("GET", "/api/v1/results", params=params)
        return Page[CustodyTestOut].model_validate(data)

    async def summarize_results(
        self,
        agent: str,
        *,
        group_by: str = "agent_version",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> ResultsSummary:
        params = query(agent=agent, group_by=group_by, since=since, until=until)
        data = await self._request("GET", "/api/v1/results/summary", params=params)
        return ResultsSummary.model_validate(data)

    def recorder(self, batch_size: int = 1000) -> Recorder:
        return Recorder(self.record_custody_tests, batch_size)
