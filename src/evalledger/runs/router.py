"""REST of the runs domain: the routes of its declared operations, plus the import upload."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Query, Request

from evalledger.api.deps import Writer
from evalledger.operations.routes import router_for
from evalledger.runs.compare_operations import RunComparisonOperations
from evalledger.runs.operations import RunsOperations
from evalledger.runs.schemas import RunRecorded

router = router_for(RunsOperations)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    """A file name kept as the run's ``source_file`` without letting it name a path."""
    return _UNSAFE.sub("_", Path(name).name)[:200] or "upload"


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
) -> list[RunRecorded]:
    """Import every run of one harness log (Inspect AI, lm-evaluation-harness, promptfoo or
    OpenAI evals; detected from the content) in one transaction, as ``evalledger runs
    import`` does. Importing the same file again changes nothing."""
    with tempfile.TemporaryDirectory(prefix="evalledger-import-") as folder:
        target = Path(folder) / _safe_name(filename)
        with target.open("wb") as out:
            async for chunk in request.stream():
                out.write(chunk)
        return await ledger.import_run(
            target, tags=tag or (), agent=agent, agent_version=agent_version
        )


# The comparison routes go first: the static /leaderboard must win over /{run_id}.
router.routes[:0] = router_for(RunComparisonOperations).routes
