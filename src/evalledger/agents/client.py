"""The agent operations the Client sends by hand (hooks, see :mod:`evalledger.agents.facade`):
everything else is declared in :mod:`evalledger.agents.operations`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack
from urllib.parse import quote

from evalledger.agents.recorder import Recorder
from evalledger.agents.results_schemas import ExportedResults
from evalledger.agents.schemas import (
    BatchIn,
    BatchRecorded,
    BatchResultIn,
    CustodyTestIn,
    CustodyTestRecorded,
)
from evalledger.operations import as_model
from evalledger.operations.http import HttpBase

if TYPE_CHECKING:
    from evalledger.agents.results_export import ResultFilters


class AgentsClient(HttpBase):
    # Hook: retry-safe only when this result carries an id (decided per call).
    async def update_custody_test_result(
        self, agent_type: str, result: CustodyTestIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        body = as_model(CustodyTestIn, result).model_dump(mode="json", exclude_unset=True)
        out = await self._request(
            "POST",
            f"/api/agent-metrics/{quote(agent_type, safe='')}/custody-test",
            json=body,
            # A result with an id is idempotent on that id, so it may be retried.
            retry_safe=body.get("id") is not None,
        )
        return CustodyTestRecorded.model_validate(out)

    # Hook: the recorder's batch; retry-safe only when every result carries an id.
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

    # Hook: a streamed download into a local file.
    async def export_results(
        self, output: str | Path, *, format: str = "jsonl", **filters: Unpack[ResultFilters]
    ) -> ExportedResults:
        """Download every result matching the filters into ``output`` (JSONL or CSV)."""
        from evalledger.agents.results_rows import check_format, count_rows

        fmt = check_format(format)
        params: dict[str, Any] = {"format": fmt}
        params.update({k: _wire(v) for k, v in filters.items() if v is not None})
        target = Path(output)
        await self._download("/api/v1/results/export", target, params=params)
        return ExportedResults(count=await count_rows(target, fmt), path=str(target))

    def recorder(self, batch_size: int = 1000) -> Recorder:
        return Recorder(self.record_custody_tests, batch_size)


def _wire(value: Any) -> Any:
    """A filter value as a query parameter (lists repeat; times as ISO 8601)."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
