"""REST of the runs domain: the routes of its declared operations, plus the import upload."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Query, Request

from evalledger.operations.deps import Writer
from evalledger.operations.routes import router_for
from evalledger.runs.bundle import safe_name, unpack_bundle
from evalledger.runs.compare_operations import RunComparisonOperations
from evalledger.runs.operations import RunsOperations
from evalledger.runs.schemas import RunRecorded

router = router_for(RunsOperations)


# Hook: the body is a file (any harness's log, streamed to disk), not a JSON document.
@router.post(
    "/import",
    response_model=list[RunRecorded],
    status_code=201,
    summary="Import a harness log (the request body is the file)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def import_run(
    request: Request,
    ledger: Writer,
    filename: Annotated[str, Query(min_length=1, max_length=255)],
    tag: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=64)]] | None, Query(max_length=32)
    ] = None,
    agent: Annotated[str | None, Query(max_length=100)] = None,
    agent_version: Annotated[str | None, Query(max_length=100)] = None,
    as_results: bool = False,
    scorer: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    pass_threshold: Annotated[float | None, Query(allow_inf_nan=False)] = None,
) -> list[RunRecorded]:
    """Import every run of one harness log (Inspect AI, lm-evaluation-harness, promptfoo or
    OpenAI evals; detected from the content) in one transaction, as ``evalledger runs
    import`` does. Importing the same file again changes nothing. A log that reads files
    beside it (lm-eval's samples) comes as a bundle, a stored ZIP the client builds.
    The body is limited by ``EVALLEDGER_MAX_BODY_BYTES`` (413 beyond it)."""
    with tempfile.TemporaryDirectory(prefix="evalledger-import-") as folder:
        target = Path(folder) / safe_name(filename)
        with target.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        unpacked = Path(folder) / "bundle"
        unpacked.mkdir()
        target = unpack_bundle(target, unpacked) or target
        return await ledger.import_run(
            target,
            tags=tag or (),
            agent=agent,
            agent_version=agent_version,
            as_results=as_results,
            scorer=scorer,
            pass_threshold=pass_threshold,
        )


# The comparison routes go first: the static /leaderboard must win over /{run_id}.
router.routes[:0] = router_for(RunComparisonOperations).routes
