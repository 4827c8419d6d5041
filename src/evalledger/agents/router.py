"""REST of the agents domain: the routes of its declared operations, plus the hooks' routes
(the single result, the batch, the streamed results export), written by hand because their
Ledger methods are."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import StreamingResponse

from evalledger.agents.operations import AgentOperations, ResultsOperations
from evalledger.agents.results_rows import MEDIA_TYPES, ExportFormat
from evalledger.agents.schemas import (
    AGENT_TYPE_PATTERN,
    BatchIn,
    BatchRecorded,
    CustodyTestIn,
    CustodyTestRecorded,
)
from evalledger.operations.deps import Reader, Writer
from evalledger.operations.routes import fastapi_annotation, router_for
from evalledger.operations.spec import operations_of

AgentType = Annotated[str, Path(min_length=1, max_length=50, pattern=AGENT_TYPE_PATTERN)]

router = APIRouter()


# Hook: a streamed body, page by page. Its filters are list_results's own query parameters.
async def export_results(
    ledger: Reader, format: ExportFormat = "jsonl", **filters: Any
) -> StreamingResponse:
    # Checked here, before the first byte: a bad filter is a 4xx, never a broken stream.
    pages = ledger.stream_results(format=format, **filters)
    chunks = (chunk async for _, chunk in pages)
    extension = "jsonl" if format == "jsonl" else "csv"
    return StreamingResponse(
        chunks,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="results.{extension}"'},
    )


def _export_signature() -> inspect.Signature:
    """``ledger``, ``format`` and list_results's query parameters but the page's own."""
    listing = next(op for op in operations_of(ResultsOperations) if op.name == "list_results")
    shared = [
        inspect.Parameter(
            p.wire,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=fastapi_annotation(p),
            default=p.default,
        )
        for p in listing.signature.parameters
        if p.name not in ("limit", "cursor")
    ]
    own = inspect.signature(export_results).parameters
    head = [
        own["ledger"].replace(kind=inspect.Parameter.KEYWORD_ONLY),
        inspect.Parameter(
            "format",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[ExportFormat, Query(description="jsonl or csv")],
            default="jsonl",
        ),
    ]
    return inspect.Signature([*head, *shared])


router.include_router(router_for(AgentOperations))
router.include_router(router_for(ResultsOperations))

export_results.__signature__ = _export_signature()  # type: ignore[attr-defined]
router.add_api_route(
    "/api/v1/results/export",
    export_results,
    methods=["GET"],
    response_model=None,
    summary="Download every result matching the filters (JSONL or CSV), streamed",
    description=(
        "Every result matching the filters of `GET /api/v1/results` (with its `sort` and "
        "`order`): all its pages in one body, streamed as they are read. JSON Lines, or CSV "
        "with a header."
    ),
    tags=["results"],
    operation_id="export_results",
    responses={
        200: {
            "content": {"application/x-ndjson": {}, "text/csv": {}},
            "description": "One result per line (JSONL) or row (CSV)",
        }
    },
)


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
