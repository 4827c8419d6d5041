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

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.exc import IntegrityError

from evalledger.db.bulk import insert_new
from evalledger.db.dialect import json_array_contains_all
from evalledger.db.repository import decode_cursor, encode_cursor, past_key
from evalledger.errors import ConflictError
from evalledger.runs.models import (
    EvalRun,
    EvalRunMetric,
    EvalRunSummary,
    EvalSample,
    EvalSampleScore,
    EvalSampleText,
)
from evalledger.runs.schemas import SampleIn
from evalledger.uow import UnitOfWork

runs = cast(Table, EvalRun.__table__)
run_metrics = cast(Table, EvalRunMetric.__table__)
summaries = cast(Table, EvalRunSummary.__table__)
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
SCORE_COLUMNS = (
    "id",
    "project_id",
    "sample_pk",
    "run_id",
    "sample_id",
    "epoch",
    "scorer",
    "value",
    "passed",
    "raw",
)
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
                (
                    new_id(),
                    project,
                    pk,
                    run_id,
                    sample.sample_id,
                    sample.epoch,
                    scorer,
                    score.value,
                    _passed(score),
                    score.raw,
                )
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


async def finish_run(
    uow: UnitOfWork, run_id: uuid.UUID, count: int, dataset_hash: str | None
) -> None:
    """A written run's sample count and, when it arrived without one, its computed dataset
    hash (:mod:`evalledger.runs.dataset_fingerprint`)."""
    values: dict[str, Any] = {"sample_count": count}
    if dataset_hash is not None:
        values["dataset_hash"] = dataset_hash
    await uow.session.execute(runs.update().where(runs.c.id == run_id).values(**values))


async def reported_metrics(uow: UnitOfWork, run_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    stmt = select(run_metrics.c.scorer, run_metrics.c.metric, run_metrics.c.value).where(
        run_metrics.c.run_id == run_id
    )
    out: dict[str, dict[str, Any]] = {}
    for scorer, metric, value in await uow.session.execute(stmt):
        out.setdefault(scorer, {})[metric] = value
    return out


def summary_rows(*where: ColumnElement[bool]) -> Select[Any]:
    """Per (run, scorer) of the scores matching ``where``: the columns of ``eval_run_summaries``.

    Per sample id first (its epochs' mean, how many were scored, passed, and 0 or 1), then per
    scorer over those: what :func:`evalledger.runs.summary.summarise_scorer` needs. Both
    writing a run's summary and ``verify`` checking it use this one statement."""
    value = scores.c.value
    per_sample = (
        select(
            scores.c.project_id,
            scores.c.run_id,
            scores.c.scorer,
            func.count().label("epochs"),
            func.count(value).label("scored"),
            func.avg(value).label("mean"),
            func.sum(case((scores.c.passed.is_(True), 1), else_=0)).label("passed"),
            func.sum(case((or_(value == 0, value == 1), 1), else_=0)).label("binary"),
        )
        .where(*where)
        .group_by(scores.c.project_id, scores.c.run_id, scores.c.scorer, scores.c.sample_id)
        .subquery()
    )
    c = per_sample.c

    def count(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return select(
        c.project_id,
        c.run_id,
        c.scorer,
        func.sum(c.epochs).label("samples"),
        func.sum(c.scored).label("scored"),
        func.sum(c.passed).label("passed"),
        count(c.scored > 0).label("clusters"),
        func.sum(c.mean).label("total"),
        func.sum(c.mean * c.mean).label("total_squares"),
        count(and_(c.scored > 0, c.mean == 1)).label("successes"),
        count(c.scored > 1).label("multi_epoch"),
        count(and_(c.scored > 0, c.binary != c.scored)).label("non_binary"),
    ).group_by(c.project_id, c.run_id, c.scorer)


SUMMARY_COLUMNS = (
    "project_id",
    "run_id",
    "scorer",
    "samples",
    "scored",
    "passed",
    "clusters",
    "total",
    "total_squares",
    "successes",
    "multi_epoch",
    "non_binary",
)


async def store_summaries(uow: UnitOfWork, run_id: uuid.UUID) -> None:
    """(Re)write the run's per-scorer summary from its stored scores: one statement, called
    once its samples are all written (they never change after)."""
    await uow.session.execute(delete(summaries).where(summaries.c.run_id == run_id))
    rows = summary_rows(scores.c.run_id == run_id, scores.c.project_id == uow.project_id)
    await uow.session.execute(insert(summaries).from_select(SUMMARY_COLUMNS, rows))


async def stored_summaries(uow: UnitOfWork, run_id: uuid.UUID) -> list[Any]:
    """The run's stored per-scorer summaries, by scorer name."""
    stmt = (
        select(summaries)
        .where(summaries.c.run_id == run_id, summaries.c.project_id == uow.project_id)
        .order_by(summaries.c.scorer)
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
    if passed is not None and not search:
        names = [scorer] if scorer is not None else await _scorers_of(uow, run_id)
        stmt = stmt.where(s.id.in_(_with_verdict(run_id, names, passed, limit, after)))
    elif scorer is not None or passed is not None:
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


async def _scorers_of(uow: UnitOfWork, run_id: uuid.UUID) -> list[str]:
    return [row["scorer"] for row in await stored_summaries(uow, run_id)]


def _with_verdict(
    run_id: uuid.UUID,
    names: Sequence[str],
    passed: bool,
    limit: int,
    after: tuple[str, int] | None,
) -> Select[Any]:
    """The keys of (a superset of) the next ``limit`` samples that one of ``names`` passed (or
    failed): per scorer, the next ``limit`` in sample order, each one range of
    ``idx_eval_sample_scores_page`` however rare the verdict is. Never a scan of the run."""
    c = scores.c
    branches = []
    for name in names:
        branch = select(c.sample_pk).where(c.run_id == run_id, c.scorer == name, c.passed == passed)
        if after is not None:
            branch = branch.where(tuple_(c.sample_id, c.epoch) > tuple_(*after))
        branches.append(branch.order_by(c.sample_id, c.epoch).limit(limit).subquery())
    if not branches:
        return select(c.sample_pk).where(literal(False))
    if len(branches) == 1:
        return select(branches[0].c.sample_pk)
    return select(union_all(*(select(b.c.sample_pk) for b in branches)).subquery().c.sample_pk)


async def scores_of(uow: UnitOfWork, sample_pks: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    keys = list(sample_pks)
    if not keys:
        return {}
    stmt = select(scores).where(scores.c.sample_pk.in_(keys))
    out: dict[uuid.UUID, list[Any]] = {}
    for row in (await uow.session.execute(stmt)).mappings():
        out.setdefault(row["sample_pk"], []).append(row)
    return out
