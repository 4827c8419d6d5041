"""SQL of run comparisons: two runs' paired values, a run's scored values, and the latest run
of each model on a task.

A comparison reads only ``eval_sample_scores`` (a score row repeats its sample's id and
epoch, so no join to ``eval_samples`` is needed) and the runs' stored summaries, never
``eval_sample_texts``: the inputs, outputs and transcripts are most of a run's bytes and no
statistic needs them.

Comparing two runs pairs them in SQL (issue #19: 100,000 samples in under a second): one
statement per scorer groups both runs' score rows by (sample id, epoch) and returns per pair
only the two values (NULL where a run lacks the sample), the sample's number in code-point
order (as Python orders ``str``), and the sample id of the pairs the comparison names
(regressed or missing). The values go straight into numpy arrays
(:class:`~evalledger.stats.paired_arrays.PairedValues`). The leaderboard still reads every
value of each run (:func:`scored_values`) and pairs in Python.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import Float, Select, case, cast, func, literal, or_, select, union_all

from evalledger.db.dialect import codepoint_order, column_arrays, column_lists
from evalledger.runs.repository import runs, samples, scores, summaries
from evalledger.stats.align import MissingSample, SampleScore
from evalledger.stats.paired_arrays import PairedValues
from evalledger.stats.resample import Floats
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


async def scorers_listed(uow: UnitOfWork, run_ids: Sequence[uuid.UUID]) -> list[str] | None:
    """The scorers the runs' stored summaries name (one row per run and scorer, written with
    the run), sorted; None when a run has no summary row (it has no scores, or its summary is
    missing, which ``verify`` reports), so that the caller reads the scores themselves.

    A summary also names a scorer none of whose rows has a value; such a scorer gives no
    pairs, and the comparison leaves it out as :func:`scorers_used` would."""
    stmt = select(summaries.c.run_id, summaries.c.scorer).where(
        summaries.c.run_id.in_(list(run_ids)), summaries.c.project_id == uow.project_id
    )
    rows = (await uow.session.execute(stmt)).all()
    if {run_id for run_id, _ in rows} != set(run_ids):
        return None
    return sorted({scorer for _, scorer in rows})


def _scored(uow: UnitOfWork, run_id: uuid.UUID, scorer: str, side: int) -> Select[Any]:
    """(sample id, epoch, side, value) of one scorer of one run; ``side`` 0 base, 1 candidate."""
    return select(
        scores.c.sample_id,  # a score repeats its sample's id and epoch: no join to samples
        scores.c.epoch,
        literal(side).label("side"),
        _value().label("value"),
    ).where(
        scores.c.run_id == run_id,
        scores.c.scorer == scorer,
        scores.c.project_id == uow.project_id,
        _value().is_not(None),
    )


async def scorer_values(
    uow: UnitOfWork, run_id: uuid.UUID, scorer: str
) -> dict[tuple[str, int], float]:
    """(sample id, epoch) -> the value of ``scorer`` in the run, as the comparison counts it
    (the dashboard's compare page orders its samples table by these)."""
    rows = await uow.session.execute(_scored(uow, run_id, scorer, 0))
    return {(sample_id, epoch): float(value) for sample_id, epoch, _, value in rows}


async def paired_values(
    uow: UnitOfWork, base_id: uuid.UUID, candidate_id: uuid.UUID, scorer: str
) -> tuple[PairedValues, Floats]:
    """One scorer's pairs of the two runs, and the values of the samples in one run only
    (the kind of a scorer, pass/fail or not, is decided over all of its values).

    One pass: both runs' rows, grouped by (sample id, epoch), give per group the base's and
    the candidate's value (NULL where that run lacks it) and the sample's number in code-point
    order (``dense_rank``), by which numpy orders the pairs (as Python sorts ``str``) and
    tells the epochs of one sample; the sample id itself only where a pair is named.
    """
    both = union_all(
        _scored(uow, base_id, scorer, 0), _scored(uow, candidate_id, scorer, 1)
    ).subquery("both")
    base = func.max(case((both.c.side == 0, both.c.value)))
    candidate = func.max(case((both.c.side == 1, both.c.value)))
    sample = codepoint_order(uow.dialect, both.c.sample_id)
    named = or_(candidate < base, base.is_(None), candidate.is_(None))
    columns = (
        func.dense_rank().over(order_by=sample),
        both.c.epoch,
        base,
        candidate,
        case((named, func.min(both.c.sample_id))),
    )
    stmt = column_arrays(uow.dialect, columns, both, group_by=(sample, both.c.epoch))
    rows = (await uow.session.execute(stmt)).all()
    rank_list, epoch_list, base_list, candidate_list, name_list = column_lists(
        uow.dialect, rows, len(columns)
    )
    # (sample id, epoch) order: sample ids numbered in code-point order, then epochs.
    order = np.lexsort((np.array(epoch_list, dtype=np.int64), np.array(rank_list, dtype=np.int64)))
    positions: list[int] = order.tolist()
    ranks = np.array(rank_list, dtype=np.int64)[order]
    base_values = np.array(base_list, dtype=np.float64)[order]  # NULL: NaN
    candidate_values = np.array(candidate_list, dtype=np.float64)[order]
    epochs = [epoch_list[i] for i in positions]
    sample_ids = [name_list[i] for i in positions]
    only_base, only_candidate = np.isnan(candidate_values), np.isnan(base_values)
    paired = ~(only_base | only_candidate)
    missing = tuple(
        MissingSample(sample_ids[i], epochs[i], "candidate" if only_base[i] else "base")
        for i in np.flatnonzero(~paired).tolist()
    )
    unpaired = np.where(only_base, base_values, candidate_values)[~paired]
    keep = paired.tolist()
    sample_ranks = ranks[paired]
    new_sample = np.ones(len(sample_ranks), dtype=bool)
    new_sample[1:] = sample_ranks[1:] != sample_ranks[:-1]
    values = PairedValues(
        scorer=scorer,
        base=base_values[paired],
        candidate=candidate_values[paired],
        starts=np.flatnonzero(new_sample),
        sample_ids=list(itertools.compress(sample_ids, keep)),
        epochs=list(itertools.compress(epochs, keep)),
        missing=missing,
    )
    return values, unpaired


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
