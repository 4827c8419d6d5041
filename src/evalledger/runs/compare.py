"""Comparing recorded runs: load their scored samples and hand them to the pure statistics.

The figures come from :mod:`evalledger.stats` (docs/statistics.md); this service only reads
the two runs (a 404 names the unknown one) with each scorer's pairs joined in SQL and read
into arrays (:func:`.compare_repository.paired_values`: a run of 100,000 samples is not
100,000 Python objects), turns the statistics' ``ValueError`` into a
:class:`~evalledger.errors.ValidationFailed` naming the parameter, and returns the
comparison with the gate's verdict in one answer, so a CI job needs one call.

Comparing a run with itself is allowed: it is the sanity check "identical runs give
difference 0 and p = 1", and a pipeline whose newest run on ``main`` is the candidate itself
gets the true answer (no regression) rather than an error.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.runs import compare_repository as repo
from evalledger.runs.compare_schemas import RatingOut, RunComparison, RunLeaderboard, RunRef
from evalledger.runs.repository import get_run
from evalledger.stats import paired_arrays
from evalledger.stats.align import RunSamples
from evalledger.stats.compare import (
    Kind,
    ScorerComparison,
    chosen_scorers,
    comparison_of,
    kind_from,
)
from evalledger.stats.gate import gate
from evalledger.stats.paired_arrays import PairedValues
from evalledger.stats.ranking import bradley_terry, rank_models
from evalledger.uow import UnitOfWork

#: Most models one leaderboard ranks (every pair is bootstrapped: the cost grows as n^2).
MAX_MODELS = 30


def _ref(row: Any) -> RunRef:
    return RunRef.model_validate({name: row[name] for name in RunRef.model_fields})


def _bounded(value: float) -> float | None:
    return value if math.isfinite(value) else None


class RunComparisonService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def _run(self, run_id: uuid.UUID, field: str) -> Any:
        row = await get_run(self.uow, run_id)
        if row is None:
            raise NotFoundError(f"{field}: no run {run_id} in this project", field=field)
        return row

    async def _paired(
        self, base_id: uuid.UUID, candidate_id: uuid.UUID, scorer: str
    ) -> tuple[PairedValues, Kind] | None:
        """One scorer's pairs, joined in SQL and read into arrays, with the kind its values
        make it; None when neither run has a value of it."""
        paired, unpaired = await repo.paired_values(self.uow, base_id, candidate_id, scorer)
        if not len(paired.base) and not paired.missing:
            return None
        values = np.concatenate([paired.base, paired.candidate, unpaired])
        if not np.isfinite(values).all():
            raise ValueError(f"scores: scorer {scorer!r} has a non-finite value")
        return paired, kind_from(paired_arrays.is_binary(values), scorer)

    async def _compare_scorers(
        self,
        ids: list[uuid.UUID],
        names: Sequence[str],
        rounds: int,
        seed: int,
        *,
        named: bool,
    ) -> list[ScorerComparison]:
        """Each scorer's figures, computed on a worker thread (the bootstrap of a continuous
        score of 100,000 samples is a few hundred milliseconds of CPU: the event loop, which
        serves every other request, must not wait for it) while the next scorer's pairs are
        read. A scorer with no value in either run is refused when the caller ``named`` it,
        and left out when it came from the runs' summaries."""
        computing: list[asyncio.Future[ScorerComparison]] = []
        try:
            for name in names:
                found = await self._paired(ids[0], ids[1], name)
                if found is None:
                    if named:
                        chosen_scorers(await repo.scorers_used(self.uow, ids), names)  # raises
                    continue
                paired, kind = found
                computing.append(
                    asyncio.ensure_future(
                        asyncio.to_thread(
                            paired_arrays.compare_paired, paired, kind, rounds=rounds, seed=seed
                        )
                    )
                )
            return list(await asyncio.gather(*computing))
        finally:  # on a refusal, let the figures already started finish before answering
            await asyncio.gather(*computing, return_exceptions=True)

    async def compare_runs(
        self,
        base_id: uuid.UUID,
        candidate_id: uuid.UUID,
        *,
        scorers: Sequence[str] | None,
        alpha: float,
        min_effect: float,
        allow_dataset_change: bool,
        rounds: int,
        seed: int,
    ) -> RunComparison:
        base_row = await self._run(base_id, "base")
        candidate_row = await self._run(candidate_id, "candidate")
        ids = [base_id, candidate_id]
        try:
            # Named scorers are not looked up first: one neither run used shows as no values,
            # and only then are the known ones read, for the refusal. Otherwise the runs'
            # stored summaries list their scorers (two rows a run), where the DISTINCT over
            # both runs' scores took 0.2-0.3 s at 100,000 samples.
            if scorers:
                names = list(dict.fromkeys(scorers))
            else:
                listed = await repo.scorers_listed(self.uow, ids)
                names = listed if listed is not None else await repo.scorers_used(self.uow, ids)
            entries = await self._compare_scorers(ids, names, rounds, seed, named=bool(scorers))
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="scorer") from exc
        comparison = comparison_of(base_row["dataset_hash"], candidate_row["dataset_hash"], entries)
        verdict = gate(
            comparison,
            alpha=alpha,
            min_effect=min_effect,
            allow_dataset_change=allow_dataset_change,
        )
        return RunComparison(
            base=_ref(base_row),
            candidate=_ref(candidate_row),
            comparison=comparison,
            gate=verdict,
        )

    async def run_leaderboard(
        self,
        task: str,
        *,
        scorer: str | None,
        models: Sequence[str] | None,
        alpha: float,
        rounds: int,
        seed: int,
        ratings: bool,
    ) -> RunLeaderboard:
        rows = await repo.latest_runs_per_model(self.uow, task, models)
        if not rows:
            raise NotFoundError(f"task: no run of task {task!r} with a model", field="task")
        if len(rows) > MAX_MODELS:
            raise ValidationFailed(
                f"model: {len(rows)} models ran {task!r}; name at most {MAX_MODELS} with model",
                field="model",
            )
        by_model = {
            row["model"]: RunSamples(
                await repo.scored_values(self.uow, row["id"]), row["dataset_hash"]
            )
            for row in rows
        }
        known = sorted({s.scorer for run in by_model.values() for s in run.scores})
        if scorer is None:
            if len(known) != 1:
                raise ValidationFailed(
                    f"scorer: the runs of {task!r} use {known}; name the scorer to rank by",
                    field="scorer",
                )
            scorer = known[0]
        elif scorer not in known:
            raise ValidationFailed(
                f"scorer: no run of {task!r} has values for {scorer!r}; known: {known}",
                field="scorer",
            )
        board = rank_models(by_model, scorer, alpha=alpha, rounds=rounds, seed=seed)
        fitted = bradley_terry(by_model, scorer, seed=seed) if ratings and len(by_model) > 1 else {}
        return RunLeaderboard(
            task=task,
            runs=[_ref(row) for row in rows],
            leaderboard=board,
            ratings=[
                RatingOut(
                    model=model,
                    rating=interval.rating,
                    low=_bounded(interval.lower),
                    high=_bounded(interval.upper),
                )
                for model, interval in sorted(fitted.items(), key=lambda kv: -kv[1].rating)
            ],
        )
