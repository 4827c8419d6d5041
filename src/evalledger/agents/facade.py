"""The agent operations the Ledger runs by hand (hooks): everything else is declared in
:mod:`evalledger.agents.operations`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Unpack

from evalledger.agents.batch import record_batch
from evalledger.agents.grouping import GroupRegistry
from evalledger.agents.recorder import Recorder
from evalledger.agents.results_export import ExportPlan, ResultFilters, export_chunks
from evalledger.agents.results_schemas import ExportedResults
from evalledger.agents.schemas import (
    BatchIn,
    BatchRecorded,
    BatchResultIn,
    CustodyTestIn,
    CustodyTestRecorded,
)
from evalledger.agents.service import AgentMetricsService
from evalledger.db.engine import PerDatabase
from evalledger.files import new_file
from evalledger.operations import as_model
from evalledger.operations.ledger_base import LedgerBase
from evalledger.runtime import gc_paused

#: One group-commit registry per database (shared by every actor's view of the ledger).
_groups = PerDatabase(GroupRegistry)


class AgentsFacade(LedgerBase):
    # Hook: concurrent calls are queued and share one transaction (a unit of work per call
    # would cost one transaction each).
    async def update_custody_test_result(
        self, agent_type: str, result: CustodyTestIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        """Record one result. Concurrent calls share a transaction (group commit, see
        :mod:`evalledger.agents.grouping`); each still gets its own exact answer."""
        body = as_model(CustodyTestIn, result)
        # One queue per actor: whatever arrives while a transaction runs, for any agent, is
        # recorded together in the next one (agents locked in sorted order, one UPDATE
        # statement for all of them), so 16 writers cost one transaction, not 16.
        key = (self.actor,)
        committer = _groups(self.db).committer(key, self._record_together, self._record_alone)
        return await committer.submit((agent_type, body))

    async def _record_alone(self, item: tuple[str, CustodyTestIn]) -> CustodyTestRecorded:
        async with self._write() as uow:
            return await AgentMetricsService(uow, self.settings).update_custody_test_result(*item)

    async def _record_together(
        self, items: Sequence[tuple[str, CustodyTestIn]]
    ) -> list[CustodyTestRecorded]:
        async with self._write() as uow:
            return await AgentMetricsService(uow, self.settings).record_results_together(items)

    # Hook: the batch recorder's write: 10,000 results validated in one pass with the
    # collector paused, then written by the bulk loader (no service method per result).
    async def record_custody_tests(
        self, results: Sequence[BatchResultIn | Mapping[str, Any]]
    ) -> BatchRecorded:
        """Record many results (each names its ``agent_type``) in one transaction."""
        # One validation pass: dicts become BatchResultIn, instances are taken as they are.
        with gc_paused():
            body = BatchIn.model_validate({"results": list(results)})
        async with self._write() as uow:
            return await record_batch(uow, body.results)

    # Hook: streams every matching result into a file, page by page (memory stays flat).
    async def export_results(
        self, output: str | Path, *, format: str = "jsonl", **filters: Unpack[ResultFilters]
    ) -> ExportedResults:
        """Write every result ``list_results`` would return for these filters (all its pages)
        to ``output`` as JSONL (one result per line) or CSV; the file appears whole, or not
        at all (it is written beside and renamed at the end)."""
        target = Path(output)
        count = 0
        with new_file(target, overwrite=True) as fh:
            async for n, chunk in self.stream_results(format=format, **filters):
                fh.write(chunk)
                count += n
        return ExportedResults(count=count, path=str(target))

    # Local only: the chunks the REST export streams (a server-side building block).
    def stream_results(
        self, *, format: str = "jsonl", **filters: Unpack[ResultFilters]
    ) -> AsyncIterator[tuple[int, bytes]]:
        """``(results in the chunk, text)`` of the export ``export_results`` writes: the
        header (CSV) and then one chunk per page, each page its own short read, so a long
        download never holds a transaction open."""
        return export_chunks(self._read, ExportPlan(format, filters))

    # Local only: a setup tool of `evalledger init --seed`, not an operation of the API.
    async def seed_default_agents(self) -> list[str]:
        async with self._write() as uow:
            return await AgentMetricsService(uow, self.settings).seed_default_agents()

    def recorder(self, batch_size: int = 1000) -> Recorder:
        """``async with ledger.recorder() as rec: await rec.record("guardian", passed=True,
        score=90)``: results are buffered and written in batches, the rest on exit."""
        return Recorder(self.record_custody_tests, batch_size)
