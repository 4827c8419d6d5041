"""REST routes of seed 001, exactly under ``/api/agent-metrics``. Thin: parse, call, wrap."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from evalledger.agents.results_router import router as results_router
from evalledger.agents.schemas import (
    AgentMetricsEnvelope,
    AgentMetricsUpdate,
    AgentsOverview,
    AgentUpdated,
    AnalyticsEnvelope,
    BatchIn,
    BatchRecorded,
    BulkUpdated,
    BulkUpdateIn,
    CustodyMetricsEnvelope,
    CustodyTestIn,
    CustodyTestRecorded,
    LearningIn,
)
from evalledger.api.deps import IdempotencyKey, Reader, Writer

metrics_router = APIRouter(prefix="/api/agent-metrics", tags=["agent-metrics"])
v1_router = APIRouter(prefix="/api/v1", tags=["custody-tests"])

AgentType = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.:-]+$")]


@metrics_router.get("/", response_model=AgentsOverview, summary="Overview of all agents")
async def overview(ledger: Reader) -> AgentsOverview:
    return await ledger.get_all_agent_metrics()


@metrics_router.get(
    "/analytics/summary", response_model=AnalyticsEnvelope, summary="Analytics summary"
)
async def analytics_summary(ledger: Reader) -> AnalyticsEnvelope:
    return AnalyticsEnvelope(analytics=await ledger.get_analytics_summary())


@metrics_router.post(
    "/bulk-update", response_model=BulkUpdated, summary="Update several agents at once"
)
async def bulk_update(
    body: BulkUpdateIn, ledger: Writer, key: IdempotencyKey = None
) -> BulkUpdated:
    return await ledger.bulk_update_metrics(body.updates, idempotency_key=key)


@metrics_router.get(
    "/{agent_type}", response_model=AgentMetricsEnvelope, summary="One agent's metrics"
)
async def agent_metrics(ledger: Reader, agent_type: AgentType) -> AgentMetricsEnvelope:
    metrics = await ledger.get_agent_metrics(agent_type)
    return AgentMetricsEnvelope(agent_type=agent_type, metrics=metrics)


@metrics_router.get(
    "/{agent_type}/custody", response_model=CustodyMetricsEnvelope, summary="Custody metrics"
)
async def custody_metrics(ledger: Reader, agent_type: AgentType) -> CustodyMetricsEnvelope:
    metrics = await ledger.get_custody_metrics(agent_type)
    return CustodyMetricsEnvelope(agent_type=agent_type, custody_metrics=metrics)


@metrics_router.put(
    "/{agent_type}", response_model=AgentUpdated, summary="Create or update an agent"
)
async def put_agent(
    body: AgentMetricsUpdate, ledger: Writer, agent_type: AgentType, key: IdempotencyKey = None
) -> AgentUpdated:
    return await ledger.create_or_update_agent_metrics(agent_type, body, idempotency_key=key)


@metrics_router.post(
    "/{agent_type}/custody-test",
    response_model=CustodyTestRecorded,
    summary="Record a custody test result",
    description="Send an `id` to make retries safe: the same id is recorded once.",
)
async def record_custody_test(
    body: CustodyTestIn, ledger: Writer, agent_type: AgentType
) -> CustodyTestRecorded:
    return await ledger.update_custody_test_result(agent_type, body)


@metrics_router.post(
    "/{agent_type}/learning", response_model=AgentUpdated, summary="Record learning"
)
async def learning(
    body: LearningIn, ledger: Writer, agent_type: AgentType, key: IdempotencyKey = None
) -> AgentUpdated:
    return await ledger.update_learning_metrics(agent_type, body, idempotency_key=key)


@metrics_router.delete("/{agent_type}/reset", response_model=AgentUpdated, summary="Reset an agent")
async def reset(ledger: Writer, agent_type: AgentType, key: IdempotencyKey = None) -> AgentUpdated:
    return await ledger.reset_agent_metrics(agent_type, idempotency_key=key)


@v1_router.post(
    "/custody-tests:batch",
    response_model=BatchRecorded,
    summary="Record up to 10,000 results in one transaction",
    description=(
        "All results are validated first; unknown agents answer 404 and nothing is written. "
        "Results carrying an `id` that is already recorded are reported as duplicates and "
        "change nothing, so a retried batch is safe."
    ),
)
async def record_batch(body: BatchIn, ledger: Writer) -> BatchRecorded:
    return await ledger.record_custody_tests(body.results)


router = APIRouter()
router.include_router(metrics_router)
router.include_router(v1_router)
router.include_router(results_router)
