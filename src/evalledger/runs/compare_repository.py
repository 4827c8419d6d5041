"""SQL of run comparisons: two runs' paired values, a run's scored values, and the latest run
of each model on a task.

A comparison reads only ``eval_samples`` and ``eval_sample_scores`` (four narrow columns per
score, over the ``idx_eval_sample_scores_run`` index), never ``eval_sample_texts``: the
inputs, outputs and transcripts are most of a run's bytes and no statistic needs them.

Comparing two runs pairs them in SQL (issue #19: 100,000 samples in under a second): one
join per scorer on (sample id, epoch), ordered as Python orders ``str`` (code points), that
returns per pair only the two values, whether it starts a new sample, and the sample id and
epoch of the pairs the candidate scored lower (the only ones a comparison names). The values
go straight into numpy arrays (:class:`~evalledger.stats.paired_arrays.PairedValues`); the
samples in one run only come from two anti-joins. The leaderboard still reads every value of
each run (:func:`scored_values`) and pairs in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Float, Subquery, and_, case, cast, func, literal, select, union_all

from evalledger.db.dialect import codepoint_order
from evalledger.runs.repository import runs, samples, scores
from evalledger.stats.align import MissingSample, SampleScore
from evalledger.stats.paired_arrays import PairedValues
from evalledger.uow import UnitOfWork


def _value() -> Any:
    """A score's number: its value, else its verdict (passed 1.0, failed 0.0); NULL with
    neither, so that it shows as a missing sample rather than as a pass or a fail."""
    verdict = case((scores.c.passed.is_(True), 1.0), (scores.c.passed.is_(False), 0.0))
    return func.coalesce(scores.c.value, cast(verdict, Float))


async def scorers_used(uow: UnitOfWork, run_ids: Sequence[uuid.UUID]) -> list[str]:
    """Every scorer with a value in any of the runs, sorted."""
    stmt = (
        select(scores.c.scorer)
        .where(
            scores.c.run_id.in_(list(run_ids)),
            scores.c.project_id == uow.project_id,
            _value().is_not(None),
        )
        .distinct()
    )
    return sorted((await uow.session.execute(stmt)).scalars())


def _scored(uow: UnitOfWork, run_id: uuid.UUID, scorer: str, name: str) -> Subquery:
    """(sample id, epoch, value) of one scorer of one run."""
    return (
        select(samples.c.sample_id, samples.c.epoch, _value().label("value"))
        .select_from(scores.join(samples, samples.c.id == scores.c.sample_pk))
        .where(
            scores.c.run_id == run_id,
            scores.c.scorer == scorer,
            scores.c.project_id == uow.project_id,
            _value().is_not(None),
        )
        .subquery(name)
    )


async def paired_values(
    uow: UnitOfWork, base_id: uuid.UUID, candidate_id: uuid.UUID, scorer: str
) -> tuple[PairedValues, list[float]]:
    """One scorer's pairs of the two runs, and the values of the samples in one run only
    (the kind of a scorer, pass/fail or not, is decided over all of its values)."""
    base = _scored(uow, base_id, scorer, "base")
    candidate = _scored(uow, candidate_id, scorer, "candidate")
    same = and_(base.c.sample_id == candidate.c.sample_id, base.c.epoch == candidate.c.epoch)
    order = (codepoint_order(uow.dialect, base.c.sample_id), base.c.epoch)
    previous = func.lag(base.c.sample_id).over(order_by=order)
    lower = candidate.c.value < base.c.value
    stmt = (
        select(
            case((previous == base.c.sample_id, 0), else_=1),
            base.c.value,
            candidate.c.value,
            case((lower, base.c.sample_id)),
            case((lower, base.c.epoch)),
        )
        .select_from(base.join(candidate, same))
        .order_by(*order)
    )
    rows = (await uow.session.execute(stmt)).all()
    starts, base_values, candidate_values, sample_ids, epochs = (
        (tuple(column) for column in zip(*rows, strict=True)) if rows else ((), (), (), (), ())
    )
    missing_rows = (await uow.session.execute(_one_run_only(base, candidate, same))).all()
    missing = sorted(
        (MissingSample(sid, epoch, absent) for absent, sid, epoch, _ in missing_rows),
        key=lambda m: (m.sample_id, m.epoch),
    )
    paired = PairedValues(
        scorer=scorer,
        base=np.array(base_values, dtype=np.float64),
        candidate=np.array(candidate_values, dtype=np.float64),
        starts=np.flatnonzero(np.array(starts, dtype=np.int64)),
        sample_ids=sample_ids,
        epochs=epochs,
        missing=tuple(missing),
    )
    return paired, [float(value) for *_, value in missing_rows]


def _one_run_only(base: Subquery, candidate: Subquery, same: Any) -> Any:
    """(absent from, sample id, epoch, value) of the pairs only one of the runs scored."""
    only_base = (
        select(literal("candidate"), base.c.sample_id, base.c.epoch, base.c.value)
        .select_from(base.outerjoin(candidate, same))
        .where(candidate.c.sample_id.is_(None))
    )
    only_candidate = (
        select(literal("base"), candidate.c.sample_id, candidate.c.epoch, candidate.c.value)
        .select_from(candidate.outerjoin(base, same))
        .where(base.c.sample_id.is_(None))
    )
    return union_all(only_base, only_candidate)


async def scored_values(uow: UnitOfWork, run_id: uuid.UUID) -> list[SampleScore]:
    """Every (sample id, epoch, scorer, value) of the run. A score without a value counts by
    its verdict (passed 1.0, failed 0.0); one with neither is left out, so it shows as a
    missing sample rather than as a pass or a fail."""
    value = _value()
    stmt = (
        select(samples.c.sample_id, samples.c.epoch, scores.c.scorer, value)
        .select_from(scores.join(samples, samples.c.id == scores.c.sample_pk))
        .where(
            scores.c.run_id == run_id,
            scores.c.project_id == uow.project_id,
            value.is_not(None),
        )
    )
    result = await uow.session.execute(stmt)
    return [SampleScore(sid, epoch, scorer, float(v)) for sid, epoch, scorer, v in result]


async def latest_runs_per_model(
    uow: UnitOfWork, task: str, models: Sequence[str] | None
) -> list[Any]:
    """The newest run of each model on ``task`` (runs without a model are not ranked)."""
    c = runs.c
    newest = (
        func.row_number()
        .over(partition_by=c.model, order_by=(c.created_at.desc(), c.id.desc()))
        .label("newest")
    )
    where = [c.project_id == uow.project_id, c.task == task, c.model.is_not(None)]
    if models:
        where.append(c.model.in_(list(models)))
    ranked = select(runs, newest).where(*where).subquery()
    stmt = select(ranked).where(ranked.c.newest == 1).order_by(ranked.c.model)
    return list((await uow.session.execute(stmt)).mappings())
