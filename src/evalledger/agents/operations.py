"""The agent-metrics operations (seed 001's method names, the LVL_UP ``/api/agent-metrics``
routes) and the results queries (``/api/v1/results``), each declared once.

Two operations stay hand-written hooks (:mod:`evalledger.agents.facade`,
:mod:`evalledger.agents.client`, :mod:`evalledger.agents.router`): the single result, which
in-process goes through the group committer, and the batch behind the recorder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import Field, StringConstraints

from evalledger.agents.result_fields import MAX_TAG_LENGTH, MAX_TAGS
from evalledger.agents.results_schemas import (
    MAX_METADATA_FILTERS,
    GroupBy,
    ResultSort,
    ResultsSummary,
    SortOrder,
    result_filter,
)
from evalledger.agents.schemas import (
    AGENT_TYPE_PATTERN,
    AgentMetricsEnvelope,
    AgentMetricsOut,
    AgentMetricsUpdate,
    AgentsOverview,
    AgentTypeKey,
    AgentUpdated,
    AnalyticsEnvelope,
    AnalyticsSummary,
    BulkUpdated,
    BulkUpdateIn,
    CustodyMetrics,
    CustodyMetricsEnvelope,
    CustodyTestOut,
    Difficulty,
    LearningIn,
)
from evalledger.api.types import IsoDatetime
from evalledger.operations import (
    Cursor,
    IdempotencyKey,
    In,
    OperationGroup,
    PageLimit,
    as_model,
    delete,
    get,
    patch,
    post,
    put,
)
from evalledger.pagination import Page

if TYPE_CHECKING:
    from evalledger.agents.results_service import ResultsService
    from evalledger.agents.service import AgentMetricsService

#: A results filter's agent (optional) and short text fields.
Agent = Annotated[
    str | None,
    StringConstraints(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN),
    Field(description="agent"),
]
Text50 = Annotated[str | None, MinLen(1), MaxLen(50)]
Score = Annotated[float | None, Ge(0), Le(100)]
Since = Annotated[IsoDatetime | None, Field(description="recorded at or after (ISO 8601)")]
Until = Annotated[IsoDatetime | None, Field(description="recorded before (ISO 8601, exclusive)")]
#: One tag or several (over HTTP the parameter repeats: ``?tag=a&tag=b``).
TagFilter = Annotated[
    str | Annotated[Sequence[Annotated[str, MaxLen(MAX_TAG_LENGTH)]], MaxLen(MAX_TAGS)] | None,
    Field(description="repeatable: results with all these tags"),
]
MetadataFilter = Annotated[
    str | Annotated[Sequence[Annotated[str, MaxLen(265)]], MaxLen(MAX_METADATA_FILTERS)] | None,
    Field(description="repeatable key=value"),
]


class AgentOperations(
    OperationGroup,
    prefix="/api",
    tag="agent-metrics",
    service="evalledger.agents.service:AgentMetricsService",
):
    @get(
        "/agent-metrics/{agent_type}",
        summary="One agent's metrics",
        envelope=(AgentMetricsEnvelope, "metrics"),
    )
    async def get_agent_metrics(
        svc: AgentMetricsService, agent_type: AgentTypeKey
    ) -> AgentMetricsOut:
        """All of one agent's metrics, with its newest results in ``test_history``."""
        return await svc.get_agent_metrics(agent_type)

    @get("/agent-metrics/", summary="Overview of all agents")
    async def get_all_agent_metrics(svc: AgentMetricsService) -> AgentsOverview:
        """How many agents, their names and totals over all of them."""
        return await svc.get_all_agent_metrics()

    @get("/v1/agents", summary="Every agent's metrics")
    async def list_agents(svc: AgentMetricsService) -> list[AgentMetricsOut]:
        """Every agent's metrics in one query, ``test_history`` left empty (an agent's newest
        results are in ``get_agent_metrics``)."""
        return await svc.list_agents()

    @get(
        "/agent-metrics/{agent_type}/custody",
        summary="Custody metrics",
        envelope=(CustodyMetricsEnvelope, "custody_metrics"),
    )
    async def get_custody_metrics(
        svc: AgentMetricsService, agent_type: AgentTypeKey
    ) -> CustodyMetrics:
        """The agent's custody counters, level and streaks."""
        return await svc.get_custody_metrics(agent_type)

    @get(
        "/agent-metrics/analytics/summary",
        summary="Analytics summary",
        envelope=(AnalyticsEnvelope, "analytics"),
    )
    async def get_analytics_summary(svc: AgentMetricsService) -> AnalyticsSummary:
        """Aggregates over every agent, computed in SQL."""
        return await svc.get_analytics_summary()

    @put("/agent-metrics/{agent_type}", summary="Create or update an agent")
    async def create_or_update_agent_metrics(
        svc: AgentMetricsService,
        agent_type: AgentTypeKey,
        data: In[AgentMetricsUpdate] | None = None,
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> AgentUpdated:
        """Create the agent if it does not exist, then set the fields given (never the
        counters derived from results)."""
        return await svc.create_or_update_agent_metrics(
            agent_type, as_model(AgentMetricsUpdate, data or {}), idempotency_key=idempotency_key
        )

    @patch("/agent-metrics/{agent_type}", summary="Update an existing agent")
    async def update_specific_metrics(
        svc: AgentMetricsService,
        agent_type: AgentTypeKey,
        updates: In[AgentMetricsUpdate],
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> AgentUpdated:
        """Set the fields given on an agent that exists (its row locked meanwhile); an unknown
        agent is a 404, never created."""
        return await svc.update_specific_metrics(
            agent_type, as_model(AgentMetricsUpdate, updates), idempotency_key=idempotency_key
        )

    @post("/agent-metrics/{agent_type}/learning", summary="Record learning")
    async def update_learning_metrics(
        svc: AgentMetricsService,
        agent_type: AgentTypeKey,
        data: In[LearningIn],
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> AgentUpdated:
        """Record one learning cycle: score delta, successes, failures, patterns."""
        return await svc.update_learning_metrics(
            agent_type, as_model(LearningIn, data), idempotency_key=idempotency_key
        )

    @post("/agent-metrics/bulk-update", summary="Update several agents at once", body=BulkUpdateIn)
    async def bulk_update_metrics(
        svc: AgentMetricsService,
        updates: Mapping[str, In[AgentMetricsUpdate]],
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> BulkUpdated:
        """Set fields on several agents, all or nothing (an unknown agent: 404, none written)."""
        models = {k: as_model(AgentMetricsUpdate, v) for k, v in updates.items()}
        return await svc.bulk_update_metrics(models, idempotency_key=idempotency_key)

    @delete("/agent-metrics/{agent_type}/reset", summary="Reset an agent")
    async def reset_agent_metrics(
        svc: AgentMetricsService,
        agent_type: AgentTypeKey,
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> AgentUpdated:
        """Zero the agent's derived metrics (its results are kept)."""
        return await svc.reset_agent_metrics(agent_type, idempotency_key=idempotency_key)


class ResultsOperations(
    OperationGroup,
    prefix="/api/v1/results",
    tag="results",
    service="evalledger.agents.results_service:ResultsService",
):
    @get("", summary="Find results: filter, sort, page")
    async def list_results(
        svc: ResultsService,
        *,
        agent: Agent = None,
        test_type: Text50 = None,
        category: Text50 = None,
        difficulty: Difficulty | None = None,
        passed: bool | None = None,
        min_score: Score = None,
        max_score: Score = None,
        since: Since = None,
        until: Until = None,
        tag: TagFilter = None,
        agent_version: Annotated[str | None, MinLen(1), MaxLen(100)] = None,
        metadata: MetadataFilter = None,
        sort: ResultSort = "time",
        order: SortOrder = "desc",
        limit: PageLimit = 50,
        cursor: Cursor = None,
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
        return await svc.list_results(
            where, sort=sort, order=order, limit=limit or 50, cursor=cursor
        )

    @get("/summary", summary="Compare an agent's results grouped by a field")
    async def summarize_results(
        svc: ResultsService,
        agent: AgentTypeKey,
        *,
        group_by: GroupBy = "agent_version",
        since: Since = None,
        until: Until = None,
    ) -> ResultsSummary:
        """An agent's results grouped by ``agent_version``, ``tag``, ``category`` or
        ``metadata.KEY``: count, pass rate (Wilson 95%) and mean score (95%) per group."""
        where = result_filter(agent=agent, since=since, until=until)
        return await svc.summarize_results(where, group_by)
