"""REST of the agents domain: the routes of its declared operations, plus the two hooks'
routes (the single result and the batch), written by hand because their Ledger methods are."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from evalledger.agents.operations import AgentOperations, ResultsOperations
from evalledger.agents.schemas import (
    AGENT_TYPE_PATTERN,
    BatchIn,
    BatchRecorded,
    CustodyTestIn,
    CustodyTestRecorded,
)
from evalledger.api.deps import Writer
from evalledger.operations.routes import router_for

AgentType = Annotated[str, Path(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)]

router = APIRouter()
router.include_router(router_for(AgentOperations))
router.include_router(router_for(ResultsOperations))


# Hook: the Ledger method group-commits concurrent results.
@router.post(
    "/api/agent-metrics/{agent_type}/custody-test",
    response_model=CustodyTestRecorded,
    summary="Record a custody test result",
    description="Send an `id` to make retries safe: the same id is recorded once.",
    tags=["agent-metrics"],
    operation_id="update_custody_test_result",
)
async def record_custody_test(
    body: CustodyTestIn, ledger: Writer, agent_type: AgentType
) -> CustodyTestRecorded:
    return await ledger.update_custody_test_result(agent_type, body)


# Hook: the batch recorder's bulk write.
@router.post(
    "/api/v1/custody-tests:batch",
    response_model=BatchRecorded,
    summary="Record up to 10,000 results in one transaction",
    description=(
        "All results are validated first; unknown agents answer 404 and nothing is written. "
        "Results carrying an `id` that is already recorded are reported as duplicates and "
        "change nothing, so a retried batch is safe."
    ),
    tags=["custody-tests"],
    operation_id="record_custody_tests",
)
async def record_batch(body: BatchIn, ledger: Writer) -> BatchRecorded:
    return await ledger.record_custody_tests(body.results)
