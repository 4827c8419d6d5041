"""Comparing runs under ``/api/v1/runs``: a candidate against a base with the regression
gate, and a task's models ranked with intervals (docs/statistics.md).

A group of its own beside :class:`~evalledger.runs.operations.RunsOperations`; its routes are
put first in ``runs/router.py`` because ``/leaderboard`` must win over ``/{run_id}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import Field

from evalledger.operations import AnyId, OperationGroup, as_uuid, get
from evalledger.runs.compare_schemas import RunComparison, RunLeaderboard

if TYPE_CHECKING:
    from evalledger.runs.compare import RunComparisonService

#: A scorer or model name.
#: A task, scorer or model name.
Name = Annotated[str, MinLen(1), MaxLen(255)]
Alpha = Annotated[float, Gt(0), Lt(1), Field(description="significance level of the tests")]
Rounds = Annotated[int, Ge(1), Le(10_000), Field(description="bootstrap rounds")]
Seed = Annotated[int, Ge(0), Le(2**32 - 1), Field(description="bootstrap seed")]


class RunComparisonOperations(
    OperationGroup,
    prefix="/api/v1/runs",
    tag="runs",
    service="evalledger.runs.compare:RunComparisonService",
):
    @get("/leaderboard", summary="Models ranked on one task, with intervals")
    async def run_leaderboard(
        svc: RunComparisonService,
        task: Name,
        *,
        scorer: Annotated[str | None, MaxLen(255)] = None,
        model: Annotated[list[Name] | None, MaxLen(30)] = None,
        alpha: Alpha = 0.05,
        rounds: Rounds = 1000,
        seed: Seed = 0,
        ratings: bool = False,
    ) -> RunLeaderboard:
        """The newest run of each model on ``task`` (or of the models named), ranked by its
        mean on ``scorer`` (needed when the runs use several) with a 95% interval; a model is
        called better than another only where the Holm-corrected paired test on the samples
        both ran says so. ``ratings``: also Bradley-Terry ratings from per-sample outcomes."""
        return await svc.run_leaderboard(
            task,
            scorer=scorer,
            models=model,
            alpha=alpha,
            rounds=rounds,
            seed=seed,
            ratings=ratings,
        )

    @get("/{base}/compare/{candidate}", summary="Compare a candidate run with a base run")
    async def compare_runs(
        svc: RunComparisonService,
        base: AnyId,
        candidate: AnyId,
        *,
        scorer: Annotated[list[Name] | None, MaxLen(64)] = None,
        alpha: Alpha = 0.05,
        min_effect: Annotated[float, Ge(0), Le(1e15), Field(allow_inf_nan=False)] = 0.0,
        allow_dataset_change: bool = False,
        rounds: Rounds = 1000,
        seed: Seed = 0,
    ) -> RunComparison:
        """The candidate against the base, sample by sample on (sample id, epoch), per scorer
        (default: every scorer either run used): each run's mean with its interval, the
        difference with a paired bootstrap interval, the paired test's p-value, the
        improved / regressed / unchanged / missing counts and the regressed samples; and the
        regression gate (Holm across the scorers compared): ``gate.passed`` is false when a
        scorer regressed significantly by more than ``min_effect``, or when the dataset
        hashes differ and ``allow_dataset_change`` is not set."""
        return await svc.compare_runs(
            as_uuid(base),
            as_uuid(candidate),
            scorers=scorer,
            alpha=alpha,
            min_effect=min_effect,
            allow_dataset_change=allow_dataset_change,
            rounds=rounds,
            seed=seed,
        )
