"""SQL of the runs domain: runs, their metrics, samples with scores and texts.

Samples are written in bulk through :mod:`evalledger.db.bulk` (``COPY`` on PostgreSQL, one
``executemany`` on the driver per table and chunk on SQLite, in the caller's transaction), so
a run of 100,000 samples is a few round trips, never one per sample.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, and_, case, func, insert, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from evalledger.db.bulk import insert_new
from evalledger.db.dialect import json_array_contains_all
from evalledger.db.repository import decode_cursor, encode_cursor, past_key
from evalledger.errors import ConflictError
from evalledger.runs.models import (
    EvalRun,
    EvalRunMetric,
    EvalSample,
    EvalSampleScore,
    EvalSampleText,
)
from evalledger.runs.schemas import SampleIn
from evalledger.uow import UnitOfWork

runs = cast(Table, EvalRun.__table__)
run_metrics = cast(Table, EvalRunMetric.__table__)
samples = cast(Table, EvalSample.__table__)
scores = cast(Table, EvalSampleScore.__table__)
texts = cast(Table, EvalSampleText.__table__)


async def find_run(uow: UnitOfWork, harness: str, external_id: str) -> Any | None:
    stmt = select(runs).where(
        runs.c.project_id == uow.project_id,
        runs.c.harness == harness,
        runs.c.external_id == external_id,
    )
    return (await uow.session.execute(stmt)).mappings().first()


async def get_run(uow: UnitOfWork, run_id: uuid.UUID) -> Any | None:
    stmt = select(runs).where(runs.c.project_id == uow.project_id, runs.c.id == run_id)
    return (await uow.session.execute(stmt)).mappings().first()


async def insert_run(uow: UnitOfWork, values: dict[str, Any]) -> None:
    await uow.session.execute(insert(runs).values(project_id=uow.project_id, **values))


async def insert_metrics(
    uow: UnitOfWork, run_id: uuid.UUID, metrics: dict[str, dict[str, float | None]]
) -> None:
    rows = [
        {
            "id": uuid.uuid4(),
            "project_id": uow.project_id,
            "run_id": run_id,
            "scorer": scorer,
            "metric": metric,
            "value": value,
        }
        for scorer, values in metrics.items()
        for metric, value in values.items()
    ]
    if rows:
        await uow.session.execute(insert(run_metrics), rows)


def _passed(score: Any) -> bool | None:
    if score.passed is not None:
        return bool(score.passed)
    return None if score.value is None else score.value >= 1.0


SAMPLE_COLUMNS = (
    "id",
    "project_id",
    "run_id",
    "sample_id",
    "epoch",
    "input_tokens",
    "output_tokens",
    "total_time",
    "error",
)
SCORE_COLUMNS = ("id", "project_id", "sample_pk", "run_id", "scorer", "value", "passed", "raw")
TEXT_COLUMNS = (
    "sample_pk",
    "project_id",
    "input",
    "target",
    "output",
    "messages",
    "explanations",
    "metadata",
)


def sample_rows(
    project: uuid.UUID, run_id: uuid.UUID, batch: Sequence[SampleIn]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of ``batch`` for the three tables, as tuples in their ``*_COLUMNS`` order."""
    sample_rows: list[tuple[Any, ...]] = []
    score_rows: list[tuple[Any, ...]] = []
    text_rows: list[tuple[Any, ...]] = []
    new_id = uuid.uuid4
    for sample in batch:
        pk = new_id()
        sample_rows.append(
            (
                pk,
                project,
                run_id,
                sample.sample_id,
                sample.epoch,
                sample.input_tokens,
                sample.output_tokens,
                sample.total_time,
                sample.error,
            )
        )
        explanations: dict[str, Any] = {}
        for scorer, score in sample.scores.items():
            score_rows.append(
                (new_id(), project, pk, run_id, scorer, score.value, _passed(score), score.raw)
            )
            said: dict[str, Any] = {"answer": score.answer, "explanation": score.explanation}
            if score.metadata:
                said["metadata"] = score.metadata
            if any(v is not None for v in said.values()):
                explanations[scorer] = said
        text_rows.append(
            (
                pk,
                project,
                sample.input,
                sample.target,
                sample.output,
                sample.messages,
                explanations,
                sample.metadata,
            )
        )
    return sample_rows, score_rows, text_rows


async def insert_samples(uow: UnitOfWork, run_id: uuid.UUID, batch: Sequence[SampleIn]) -> int:
    """Write ``batch`` (samples, their scores and texts) through the bulk loader: ``COPY`` on
    PostgreSQL, one ``executemany`` per table on SQLite, in the caller's transaction. The keys
    are minted here, so the loader looks none of them up (``fresh``)."""
    rows, score_rows, text_rows = sample_rows(uow.project_id, run_id, batch)
    secure = uow.db.row_security and uow.tenant_scoped
    try:
        for table, columns, chunk, key in (
            (samples, SAMPLE_COLUMNS, rows, "id"),
            (texts, TEXT_COLUMNS, text_rows, "sample_pk"),
            (scores, SCORE_COLUMNS, score_rows, "id"),
        ):
            await insert_new(
                uow.session, table, columns, chunk, key, row_security=secure, fresh=True
            )
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        raise ConflictError(
            f"two samples of the run have the same id and epoch ({_first_line(exc)})",
            field="samples",
        ) from None
    return len(rows)


def _is_unique_violation(exc: BaseException) -> bool:
    """A driver's own unique violation (the bulk loader writes on the driver connection)."""
    if isinstance(exc, IntegrityError | sqlite3.IntegrityError):
        return True
    import asyncpg

    return isinstance(exc, asyncpg.UniqueViolationError)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


async def set_sample_count(uow: UnitOfWork, run_id: uuid.UUID, count: int) -> None:
    await uow.session.execute(runs.update().where(runs.c.id == run_id).values(sample_count=count))


async def reported_metrics(uow: UnitOfWork, run_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    stmt = select(run_metrics.c.scorer, run_metrics.c.metric, run_metrics.c.value).where(
        run_metrics.c.run_id == run_id
    )
    out: dict[str, dict[str, Any]] = {}
    for scorer, metric, value in await uow.session.execute(stmt):
        out.setdefault(scorer, {})[metric] = value
    return out


async def cluster_means(uow: UnitOfWork, run_id: uuid.UUID) -> list[Any]:
    """Per (scorer, sample id): the mean over its epochs, how many epochs were scored and
    passed, and whether every value is 0 or 1 -- what a run's per-scorer statistics need."""
    value = scores.c.value
    binary = func.sum(case((or_(value == 0, value == 1), 1), else_=0))
    stmt = (
        select(
            scores.c.scorer,
            samples.c.sample_id,
            func.count().label("epochs"),
            func.count(value).label("scored"),
            func.avg(value).label("mean"),
            func.sum(case((scores.c.passed.is_(True), 1), else_=0)).label("passed"),
            binary.label("binary"),
        )
        .select_from(scores.join(samples, samples.c.id == scores.c.sample_pk))
        .where(scores.c.run_id == run_id)
        .group_by(scores.c.scorer, samples.c.sample_id)
    )
    return list((await uow.session.execute(stmt)).mappings())


def _run_filter(uow: UnitOfWork, where: dict[str, Any]) -> list[Any]:
    c = runs.c
    out: list[Any] = [c.project_id == uow.project_id]
    for name in ("task", "model", "harness", "agent_type", "agent_version", "status"):
        if where.get(name) is not None:
            out.append(c[name] == where[name])
    if where.get("tag"):
        out.append(json_array_contains_all(uow.dialect, c.tags, where["tag"]))
    return out


async def list_runs(
    uow: UnitOfWork, where: dict[str, Any], limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    c = runs.c
    stmt: Select[Any] = select(runs).where(*_run_filter(uow, where))
    if cursor is not None:
        at, after = decode_cursor(cursor)
        stmt = stmt.where(past_key(c.created_at, c.id, at, after, descending=True))
    stmt = stmt.order_by(c.created_at.desc(), c.id.desc()).limit(limit + 1)
    rows = list((await uow.session.execute(stmt)).mappings())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["created_at"], rows[-1]["id"])


async def list_samples(
    uow: UnitOfWork,
    run_id: uuid.UUID,
    *,
    scorer: str | None,
    passed: bool | None,
    search: str | None,
    limit: int,
    after: tuple[str, int] | None,
) -> list[Any]:
    """A page of a run's samples in ``(sample_id, epoch)`` order, with their texts."""
    s = samples.c
    stmt = (
        select(
            samples,
            texts.c.input,
            texts.c.target,
            texts.c.output,
            texts.c.messages,
            texts.c.explanations,
            texts.c.metadata,
        )
        .select_from(samples.join(texts, texts.c.sample_pk == s.id))
        .where(s.run_id == run_id, s.project_id == uow.project_id)
    )
    if scorer is not None or passed is not None:
        match = [scores.c.sample_pk == s.id]
        if scorer is not None:
            match.append(scores.c.scorer == scorer)
        if passed is not None:
            match.append(scores.c.passed == passed)
        stmt = stmt.where(select(scores.c.id).where(and_(*match)).exists())
    if search:
        pattern = f"%{search}%"
        stmt = stmt.where(or_(s.sample_id.like(pattern), texts.c.output.like(pattern)))
    if after is not None:
        stmt = stmt.where(tuple_(s.sample_id, s.epoch) > tuple_(*after))
    stmt = stmt.order_by(s.sample_id, s.epoch).limit(limit)
    return list((await uow.session.execute(stmt)).mappings())


async def scores_of(uow: UnitOfWork, sample_pks: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    keys = list(sample_pks)
    if not keys:
        return {}
    stmt = select(scores).where(scores.c.sample_pk.in_(keys))
    out: dict[uuid.UUID, list[Any]] = {}
    for row in (await uow.session.execute(stmt)).mappings():
        out.setdefault(row["sample_pk"], []).append(row)
    return out
