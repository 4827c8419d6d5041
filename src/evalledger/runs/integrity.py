"""``verify``'s checks of the runs domain (section 9): report, never fix.

* a run whose ``sample_count`` is not the number of its stored samples;
* a sample whose run is gone, a score whose sample is gone, and a score row whose ``run_id``
  is not its sample's run (the comparisons scan scores by ``run_id``: such a row would count
  in the wrong run), or whose ``sample_id``/``epoch`` are not its sample's (pages of failed
  samples are read in that order);
* a run whose stored per-scorer summary (``eval_run_summaries``, what ``runs show`` reads) is
  not the one its stored scores give, or is missing, or names a scorer with no scores;
* a run whose reported accuracy-like metric (:func:`evalledger.runs.faithful.is_mean`)
  disagrees, beyond 1e-9, with the mean of its stored scores, for a scorer whose every sample
  ran once and scored 0 or 1 (where "the mean of the stored values" is unambiguous).

Set-based SQL like the other checks; only the few disagreeing metric rows are then judged in
Python by the pure rule of which metric is a mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, exists, func, or_, select

from evalledger.assessments.verify_report import CheckResult
from evalledger.runs.faithful import is_mean
from evalledger.runs.repository import (
    run_metrics,
    runs,
    samples,
    scores,
    summaries,
    summary_rows,
)
from evalledger.runs.summary import summaries_agree

if TYPE_CHECKING:
    from evalledger.assessments.integrity import VerifyContext

#: How far a reported mean may be from the stored scores' mean (float noise only).
TOLERANCE = 1e-9


async def check_runs(ctx: VerifyContext) -> CheckResult:
    result = CheckResult(9, "runs", "Checking evaluation runs against their samples...")
    total = await ctx.scalar(select(func.count()).select_from(runs).where(ctx.mine(runs)))
    await _sample_counts(ctx, result)
    await _links(ctx, result)
    await _stored_summaries(ctx, result)
    await _reported_means(ctx, result)
    if not result.lines:
        result.ok(f"All {total} runs agree with their stored samples")
    return result


async def _sample_counts(ctx: VerifyContext, result: CheckResult) -> None:
    stored = (
        select(func.count())
        .select_from(samples)
        .where(samples.c.run_id == runs.c.id)
        .scalar_subquery()
    )
    wrong = and_(ctx.mine(runs), runs.c.sample_count != stored)
    n = await ctx.scalar(select(func.count()).select_from(runs).where(wrong))
    if n:
        sample = await ctx.ids(select(runs.c.id).where(wrong).order_by(runs.c.id))
        result.problem("issue", f"{n} runs have a sample_count unlike their samples", n, sample)


async def _links(ctx: VerifyContext, result: CheckResult) -> None:
    no_run = and_(ctx.mine(samples), ~exists().where(runs.c.id == samples.c.run_id))
    n = await ctx.scalar(select(func.count()).select_from(samples).where(no_run))
    if n:
        sample = await ctx.ids(select(samples.c.id).where(no_run).order_by(samples.c.id))
        result.problem("issue", f"{n} samples belong to no run", n, sample)
    no_sample = and_(ctx.mine(scores), ~exists().where(samples.c.id == scores.c.sample_pk))
    n = await ctx.scalar(select(func.count()).select_from(scores).where(no_sample))
    if n:
        sample = await ctx.ids(select(scores.c.id).where(no_sample).order_by(scores.c.id))
        result.problem("issue", f"{n} scores belong to no sample", n, sample)
    joined = scores.join(samples, samples.c.id == scores.c.sample_pk)
    crossed = and_(ctx.mine(scores), scores.c.run_id != samples.c.run_id)
    n = await ctx.scalar(select(func.count()).select_from(joined).where(crossed))
    if n:
        sample = await ctx.ids(select(scores.c.id).select_from(joined).where(crossed))
        result.problem("issue", f"{n} scores name another run than their sample's", n, sample)
    moved = and_(
        ctx.mine(scores),
        or_(scores.c.sample_id != samples.c.sample_id, scores.c.epoch != samples.c.epoch),
    )
    n = await ctx.scalar(select(func.count()).select_from(joined).where(moved))
    if n:
        sample = await ctx.ids(select(scores.c.id).select_from(joined).where(moved))
        result.problem(
            "issue", f"{n} scores carry another sample id or epoch than their sample's", n, sample
        )


async def _stored_summaries(ctx: VerifyContext, result: CheckResult) -> None:
    """Every run's stored summary against the one its scores give: both are one row per (run,
    scorer), so the comparison is of two small sets, in Python by the pure rule."""
    computed = {
        (row["run_id"], row["scorer"]): row
        for row in (await ctx.uow.session.execute(summary_rows(ctx.mine(scores)))).mappings()
    }
    stored = {
        (row["run_id"], row["scorer"]): row
        for row in (
            await ctx.uow.session.execute(select(summaries).where(ctx.mine(summaries)))
        ).mappings()
    }
    wrong = sorted(
        {
            run_id
            for run_id, scorer in stored.keys() | computed.keys()
            if not summaries_agree(
                stored.get((run_id, scorer)), computed.get((run_id, scorer)), TOLERANCE
            )
        },
        key=str,
    )
    if wrong:
        result.problem(
            "issue",
            f"{len(wrong)} runs have a stored summary unlike their samples' statistics",
            len(wrong),
            [str(run_id) for run_id in wrong[:20]],
        )


async def _reported_means(ctx: VerifyContext, result: CheckResult) -> None:
    value = scores.c.value
    per_scorer = (
        select(
            scores.c.run_id,
            scores.c.scorer,
            func.count().label("rows"),
            func.count(func.distinct(samples.c.sample_id)).label("ids"),
            func.count(value).label("scored"),
            func.sum(case((or_(value == 0, value == 1), 1), else_=0)).label("binary"),
            func.avg(value).label("mean"),
        )
        .select_from(scores.join(samples, samples.c.id == scores.c.sample_pk))
        .where(ctx.mine(scores))
        .group_by(scores.c.run_id, scores.c.scorer)
        .subquery()
    )
    single_binary = and_(
        per_scorer.c.rows == per_scorer.c.ids,
        per_scorer.c.scored > 0,
        per_scorer.c.binary == per_scorer.c.scored,
    )
    stmt = (
        select(
            runs.c.id,
            runs.c.harness,
            runs.c.scorers,
            run_metrics.c.scorer,
            run_metrics.c.metric,
            run_metrics.c.value,
            per_scorer.c.mean,
        )
        .select_from(
            run_metrics.join(runs, runs.c.id == run_metrics.c.run_id).join(
                per_scorer,
                and_(
                    per_scorer.c.run_id == run_metrics.c.run_id,
                    per_scorer.c.scorer == run_metrics.c.scorer,
                ),
            )
        )
        .where(
            ctx.mine(run_metrics),
            single_binary,
            run_metrics.c.value.is_not(None),
            func.abs(per_scorer.c.mean - run_metrics.c.value) > TOLERANCE,
        )
        .order_by(runs.c.id, run_metrics.c.scorer, run_metrics.c.metric)
    )
    bad = [
        f"run {row.id}: {row.scorer} {row.metric} reported {row.value:.6g}, "
        f"stored samples' mean {float(row.mean):.6g}"
        for row in await ctx.uow.session.execute(stmt)
        if is_mean(row.harness, row.scorer, row.metric, _params(row.scorers, row.scorer))
    ]
    if bad:
        result.problem(
            "issue",
            f"{len(bad)} reported metrics disagree with the mean of the run's stored scores",
            len(bad),
            bad[:20],
        )


def _params(scorers: Any, name: str) -> dict[str, Any]:
    """The options the harness gave scorer ``name`` (as stored in the run's ``scorers``)."""
    for scorer in scorers if isinstance(scorers, list) else []:
        if isinstance(scorer, dict) and scorer.get("name") == name:
            params = scorer.get("params")
            return params if isinstance(params, dict) else {}
    return {}
