"""Recording, importing and reading evaluation runs.

A run's identity is ``(harness, external_id)`` in its project, and its content is fingerprinted
(the SHA-256 of the source file, or of the request for a run sent directly). Recording the same
run again changes nothing and says so (``created: false``); another run under the same identity
is a :class:`~evalledger.errors.ConflictError`, never a silent merge. A run and its samples are
written in one transaction, so no reader ever sees half a run.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

from evalledger.agents.batch import record_batch
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.pagination import Page
from evalledger.runs import repository as repo
from evalledger.runs.as_results import as_results, scorer_for
from evalledger.runs.dataset_fingerprint import DatasetFingerprint
from evalledger.runs.importing import OpenedLog
from evalledger.runs.schemas import (
    RunIn,
    RunOut,
    RunRecorded,
    SampleIn,
    SampleOut,
    SampleScoreOut,
    ScorerSummary,
)
from evalledger.runs.summary import summarise_scorer
from evalledger.uow import UnitOfWork

T = TypeVar("T")

#: Samples written per bulk statement.
CHUNK = 2_000


def _sample_cursor(sample_id: str, epoch: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([sample_id, epoch]).encode()).decode()


def _read_sample_cursor(cursor: str) -> tuple[str, int]:
    try:
        sample_id, epoch = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(sample_id), int(epoch)
    except (ValueError, TypeError) as exc:
        raise ValidationFailed("cursor: not a cursor this server issued", field="cursor") from exc


class RunsService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def record_run(
        self, run: RunIn, more_samples: AsyncIterable[Iterable[SampleIn]] | None = None
    ) -> RunRecorded:
        """Write ``run`` with its samples (and any ``more_samples`` chunks, for importers that
        stream a large file), or recognise it as already recorded."""
        digest = run.source_sha256 or run.content_sha256()
        existing = await repo.find_run(self.uow, run.harness, run.external_id)
        if existing is not None:
            if existing["source_sha256"] != digest:
                raise ConflictError(
                    f"run {run.external_id!r} of {run.harness} is already recorded with "
                    f"different content (sha256 {existing['source_sha256'][:12]}..., this one "
                    f"{digest[:12]}...); record the new one under another external_id",
                    field="external_id",
                )
            return RunRecorded(
                run=await self.get_run(existing["id"]), created=False, samples_written=0
            )
        run_id = await self._insert_run(run, digest)
        written = 0
        dataset = DatasetFingerprint()
        for start in range(0, len(run.samples), CHUNK):
            chunk = run.samples[start : start + CHUNK]
            written += await repo.insert_samples(self.uow, run_id, chunk)
            dataset.add(chunk)
        if more_samples is not None:
            async for more in more_samples:
                items = list(more)
                written += await repo.insert_samples(self.uow, run_id, items)
                dataset.add(items)
        computed = dataset.hexdigest() if run.dataset_hash is None else None
        await repo.finish_run(self.uow, run_id, written, computed)
        await repo.store_summaries(self.uow, run_id)
        self.uow.audit(
            "eval_run",
            run_id,
            "create",
            metadata={"harness": run.harness, "task": run.task, "samples": written},
        )
        return RunRecorded(run=await self.get_run(run_id), created=True, samples_written=written)

    async def import_log(self, log: OpenedLog) -> list[RunRecorded]:
        """Every run of a harness's log with all its samples, in this one transaction.

        A run already imported from the same content is left alone (``created: false``); one
        recorded under the same identity with other content refuses the whole file (409), so
        nothing of it is written. Samples stream from the file in chunks (flat memory).
        """
        new: dict[str, uuid.UUID] = {}
        known: dict[str, uuid.UUID] = {}
        for key, run in log.runs.items():
            digest = run.source_sha256 or run.content_sha256()
            existing = await repo.find_run(self.uow, run.harness, run.external_id)
            if existing is None:
                new[key] = await self._insert_run(run, digest)
            elif existing["source_sha256"] == digest:
                known[key] = existing["id"]
            else:
                raise ConflictError(
                    f"{log.path.name}: run {run.external_id!r} is already recorded from other "
                    f"content (sha256 {existing['source_sha256'][:12]}..., this file "
                    f"{digest[:12]}...); refused, nothing written",
                    field="file",
                )
        written: Counter[str] = Counter()
        options = log.options
        scorers = {
            key: scorer_for(log.runs[key], options.scorer) if options.as_results else None
            for key in new
        }
        if options.as_results and options.agent_type is None:
            raise ValidationFailed("as_results needs the agent the runs evaluate", field="agent")
        datasets = {key: DatasetFingerprint() for key in new}
        if new:
            async for chunk in _chunks(log.samples(), CHUNK):
                by_run: dict[str, list[SampleIn]] = {}
                for key, sample in chunk:
                    if key in new:
                        by_run.setdefault(key, []).append(sample)
                for key, items in by_run.items():
                    written[key] += await repo.insert_samples(self.uow, new[key], items)
                    datasets[key].add(items)
                    if options.as_results:
                        await self._record_as_results(
                            new[key], log.runs[key], items, scorers[key], options.pass_threshold
                        )
        out = []
        for key, run_id in new.items():
            reported = log.runs[key].dataset_hash
            computed = datasets[key].hexdigest() if reported is None else None
            await repo.finish_run(self.uow, run_id, written[key], computed)
            await repo.store_summaries(self.uow, run_id)
            self.uow.audit(
                "eval_run",
                run_id,
                "import",
                metadata={"file": log.path.name, "samples": written[key]},
            )
            out.append(
                RunRecorded(
                    run=await self.get_run(run_id), created=True, samples_written=written[key]
                )
            )
        for run_id in known.values():
            out.append(
                RunRecorded(run=await self.get_run(run_id), created=False, samples_written=0)
            )
        return out

    async def _record_as_results(
        self,
        run_id: uuid.UUID,
        run: RunIn,
        samples: list[SampleIn],
        scorer: str | None,
        threshold: float | None,
    ) -> None:
        """The samples as results of the run's agent, in this transaction (the agent's
        counters move with them, exactly as for a batch of results)."""
        results = as_results(run_id, run, samples, scorer, threshold)
        if not results:
            return
        try:
            await record_batch(self.uow, results)
        except NotFoundError as exc:
            raise NotFoundError(exc.message, field="agent") from None

    async def _insert_run(self, run: RunIn, digest: str) -> uuid.UUID:
        run_id = uuid.uuid4()
        now = utcnow()
        values = run.model_dump(exclude={"samples", "metrics", "metadata"})
        await repo.insert_run(
            self.uow,
            {
                **values,
                "id": run_id,
                "metadata": run.metadata,
                "source_sha256": digest,
                "sample_count": 0,
                "created_at": now,
                "updated_at": now,
            },
        )
        await repo.insert_metrics(self.uow, run_id, run.metrics)
        return run_id

    async def get_run(self, run_id: uuid.UUID) -> RunOut:
        row = await repo.get_run(self.uow, run_id)
        if row is None:
            raise NotFoundError(f"no run {run_id} in this project", field="run_id")
        reported = await repo.reported_metrics(self.uow, run_id)
        stored = {row["scorer"]: row for row in await repo.stored_summaries(self.uow, run_id)}
        names = list(dict.fromkeys([*reported, *stored]))
        summary = [
            summarise_scorer(name, stored.get(name), reported.get(name, {})) for name in names
        ]
        return _run_out(row, summary)

    async def list_runs(
        self, where: dict[str, Any], limit: int, cursor: str | None
    ) -> Page[RunOut]:
        rows, next_cursor = await repo.list_runs(self.uow, where, limit, cursor)
        return Page[RunOut](items=[_run_out(r, []) for r in rows], next_cursor=next_cursor)

    async def list_samples(
        self,
        run_id: uuid.UUID,
        *,
        scorer: str | None,
        passed: bool | None,
        search: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[SampleOut]:
        if await repo.get_run(self.uow, run_id) is None:
            raise NotFoundError(f"no run {run_id} in this project", field="run_id")
        after = _read_sample_cursor(cursor) if cursor else None
        rows = await repo.list_samples(
            self.uow,
            run_id,
            scorer=scorer,
            passed=passed,
            search=search,
            limit=limit + 1,
            after=after,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        by_sample = await repo.scores_of(self.uow, (r["id"] for r in rows))
        items = [_sample_out(r, by_sample.get(r["id"], [])) for r in rows]
        last = rows[-1] if more else None
        return Page[SampleOut](
            items=items,
            next_cursor=_sample_cursor(last["sample_id"], last["epoch"]) if last else None,
        )


async def _chunks(items: Iterator[T], size: int) -> AsyncIterator[list[T]]:
    """``items`` in lists of ``size``, each read in a worker thread: reading and decoding a
    log is blocking work that must not stall the event loop (a server keeps serving). The
    next list is read while the caller writes this one, so the file's decoding overlaps
    the database's work (two lists in memory at most: flat however large the file)."""

    def take() -> list[T]:
        return list(itertools.islice(items, size))

    pending = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        while chunk := await pending:
            pending = asyncio.ensure_future(asyncio.to_thread(take))
            yield chunk
    finally:
        pending.cancel()  # the caller stopped (an error): the list being read is dropped


def _run_out(row: Any, summary: list[ScorerSummary]) -> RunOut:
    return RunOut.model_validate({**dict(row), "summary": summary})


def _sample_out(row: Any, score_rows: list[Any]) -> SampleOut:
    said = row["explanations"] or {}
    return SampleOut(
        id=row["id"],
        run_id=row["run_id"],
        sample_id=row["sample_id"],
        epoch=row["epoch"],
        scores={
            s["scorer"]: SampleScoreOut(
                value=s["value"],
                passed=s["passed"],
                raw=s["raw"],
                answer=said.get(s["scorer"], {}).get("answer"),
                explanation=said.get(s["scorer"], {}).get("explanation"),
            )
            for s in score_rows
        },
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        total_time=row["total_time"],
        error=row["error"],
        input=row["input"],
        target=row["target"],
        output=row["output"],
        messages=row["messages"],
        metadata=row["metadata"] or {},
    )
