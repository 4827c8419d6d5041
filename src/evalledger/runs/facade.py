"""The runs hook of the in-process ``Ledger``: importing a harness's log file.

A hook, not a declared operation: it reads a file from the caller's disk and streams its
samples into one unit of work (the declared operations take their input as arguments).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from pathlib import Path

from pydantic import TypeAdapter

from evalledger.agents.result_fields import Tags
from evalledger.errors import ValidationFailed
from evalledger.operations.ledger_base import LedgerBase
from evalledger.runs.importing import ImportOptions, open_log
from evalledger.runs.schemas import RunRecorded
from evalledger.runs.service import RunsService

_TAGS = TypeAdapter(Tags)


def _threshold(value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(
            f"pass_threshold: not a finite number: {value!r}", field="pass_threshold"
        )
    return float(value)


class RunsFacade(LedgerBase):
    async def import_run(
        self,
        path: str | Path,
        *,
        tags: Sequence[str] = (),
        agent: str | None = None,
        agent_version: str | None = None,
        as_results: bool = False,
        scorer: str | None = None,
        pass_threshold: float | None = None,
    ) -> list[RunRecorded]:
        """Import the runs of one harness log (Inspect AI ``.eval``/``.json``,
        lm-evaluation-harness ``results_*.json``, promptfoo ``-o out.json``, OpenAI evals
        JSONL); the format is detected. One transaction per file: importing it again changes
        nothing (``created`` is false), another file claiming the same run is a 409.

        ``as_results=True`` also records each sample as a result of ``agent`` (its counters,
        XP and results query see them; see :mod:`evalledger.runs.as_results`): ``scorer``
        picks the score (default the run's first scorer), ``pass_threshold`` the pass mark."""
        checked = _TAGS.validate_python(list(tags))  # the rule every run's tags follow
        options = ImportOptions(
            tags=tuple(checked),
            agent_type=agent,
            agent_version=agent_version,
            as_results=as_results,
            scorer=scorer,
            pass_threshold=_threshold(pass_threshold),
        )
        try:
            log = await asyncio.to_thread(open_log, path, options)
        except OSError as exc:  # a name the file system refuses (too long, not a file...)
            raise ValidationFailed(
                f"path: cannot read {str(path)[:200]!r}: {exc.strerror}", field="path"
            ) from None
        async with self._write() as uow:
            return await RunsService(uow).import_log(log)
