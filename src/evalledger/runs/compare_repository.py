"""SQL of run comparisons: a run's scored values, and the latest run of each model on a task.

A comparison reads only ``eval_samples`` and ``eval_sample_scores`` (four narrow columns per
score, over the ``idx_eval_sample_scores_page`` index), never ``eval_sample_texts``: the
inputs, outputs and transcripts are most of a run's bytes and no statistic needs them.
Pairing the two runs' rows happens in Python (:mod:`evalledger.stats.align`), one linear pass.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Float, case, cast, func, select

from evalledger.runs.repository import runs, samples, scores
from evalledger.stats.align import SampleScore
from evalledger.uow import UnitOfWork


async def scored_values(uow: UnitOfWork, run_id: uuid.UUID) -> list[SampleScore]:
    """Every (sample id, epoch, scorer, value) of the run. A score without a value counts by
    its verdict (passed 1.0, failed 0.0); one with neither is left out, so it shows as a
    missing sample rather than as a pass or a fail."""
    verdict = case((scores.c.passed.is_(True), 1.0), (scores.c.passed.is_(False), 0.0))
    value = func.coalesce(scores.c.value, cast(verdict, Float))
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
