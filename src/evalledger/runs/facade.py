"""The runs hook of the in-process ``Ledger``: importing a harness's log file.

A hook, not a declared operation: it reads a file from the caller's disk and streams its
samples into one unit of work (the declared operations take their input as arguments).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from evalledger.runs.importing import ImportOptions, open_log
from evalledger.runs.schemas import RunRecorded
from evalledger.runs.service import RunsService
from evalledger.sdk.base import LedgerBase


class RunsFacade(LedgerBase):
    async def import_run(
        self,
        path: str | Path,
        *,
        tags: Sequence[str] = (),
        agent: str | None = None,
        agent_version: str | None = None,
    ) -> list[RunRecorded]:
        """Import the runs of one harness log (Inspect AI ``.eval``/``.json``,
        lm-evaluation-harness ``results_*.json``, promptfoo ``-o out.json``, OpenAI evals
        JSONL); the format is detected. One transaction per file: importing it again changes
        nothing (``created`` is false), another file claiming the same run is a 409."""
        options = ImportOptions(tags=tuple(tags), agent_type=agent, agent_version=agent_version)
        log = await asyncio.to_thread(open_log, path, options)
        async with self._write() as uow:
            return await RunsService(uow).import_log(log)
