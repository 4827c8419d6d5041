"""Models ranked on one task, with intervals, and "better than" only where it is shown.

Each model's row is its run's own mean (over all of its samples) with the interval of
:func:`.clustered.mean_estimate`. Rank order alone says nothing about noise, so every pair of
models is also compared with the paired machinery of :mod:`.compare` on the samples both
ran, and a model is called better than another only where the Holm-corrected paired test
(across all pairs of the board) rejects at ``alpha``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from evalledger.stats.align import RunSamples, align_values, dataset_changed, scorer_values
from evalledger.stats.bootstrap import check_bootstrap_parameters
from evalledger.stats.clustered import MeanEstimate, group_by_cluster, mean_estimate
from evalledger.stats.compare import Kind, TestName, compare_alignment, kind_of, z_for
from evalledger.stats.jsonable import AsDict
from evalledger.stats.multiple import check_alpha, holm_adjust

if TYPE_CHECKING:  # the fit needs numpy; the remote Client imports this module for its types
    from evalledger.stats.ratings import RatingInterval


@dataclass(frozen=True)
class ModelRow:
    """One model: its place (1 = best mean), mean with interval, and whom it beats."""

    rank: int
    model: str
    mean: MeanEstimate
    dataset_hash: str | None
    better_than: tuple[str, ...]


@dataclass(frozen=True)
class ModelPair:
    """Two models compared on the samples both ran; ``difference`` is ``higher - lower``
    (the higher-ranked minus the lower-ranked model's paired mean)."""

    higher: str
    lower: str
    n_pairs: int
    difference: float | None
    low: float | None
    high: float | None
    test: TestName
    p_value: float
    adjusted_p_value: float
    better: str | None


@dataclass(frozen=True)
class ModelLeaderboard(AsDict):
    """One task's models on one scorer: ranked rows and every pair's paired test."""

    scorer: str
    kind: Kind
    alpha: float
    correction: Literal["holm"]
    dataset_changed: bool
    rows: tuple[ModelRow, ...]
    pairs: tuple[ModelPair, ...]


def rank_models(
    runs: Mapping[str, RunSamples],
    scorer: str,
    *,
    alpha: float = 0.05,
    kind: Kind | None = None,
    confidence: float = 0.95,
    rounds: int = 1000,
    seed: int = 0,
) -> ModelLeaderboard:
    """Rank the models (model name -> its run on the task) on ``scorer``.

    Ties in the mean are ordered by model name; a model without any value of the scorer
    ranks last with no mean. Pairs are only tested on samples both models ran.
    """
    check_alpha(alpha)
    check_bootstrap_parameters(rounds, confidence)
    values = {model: scorer_values(run, scorer) for model, run in runs.items()}
    if not any(values.values()):
        raise ValueError(f"scorer: no run has values for {scorer!r}")
    resolved = kind_of((v for by_key in values.values() for v in by_key.values()), scorer, kind)
    z = z_for(confidence)
    means: dict[str, MeanEstimate] = {}
    for model, by_key in values.items():
        groups = group_by_cluster(list(by_key.values()), [key[0] for key in by_key])
        means[model] = mean_estimate(groups, resolved == "binary", z)
    order = sorted(runs, key=lambda m: (means[m].mean is None, -(means[m].mean or 0.0), m))

    compared = []
    for higher, lower in itertools.combinations(order, 2):
        alignment = align_values(scorer, values[lower], values[higher])
        entry = compare_alignment(alignment, resolved, confidence, rounds, seed)
        compared.append((higher, lower, entry))
    adjusted = holm_adjust([entry.test.p_value for _, _, entry in compared])
    pairs = []
    for (higher, lower, entry), adjusted_p in zip(compared, adjusted, strict=True):
        diff = entry.difference.estimate
        better = None
        if diff is not None and adjusted_p <= alpha and diff != 0:
            better = higher if diff > 0 else lower
        pairs.append(
            ModelPair(
                higher=higher,
                lower=lower,
                n_pairs=entry.n_pairs,
                difference=diff,
                low=entry.difference.low,
                high=entry.difference.high,
                test=entry.test.name,
                p_value=entry.test.p_value,
                adjusted_p_value=adjusted_p,
                better=better,
            )
        )
    rows = tuple(
        ModelRow(
            rank=position,
            model=model,
            mean=means[model],
            dataset_hash=runs[model].dataset_hash,
            better_than=tuple(
                p.lower if p.higher == model else p.higher for p in pairs if p.better == model
            ),
        )
        for position, model in enumerate(order, start=1)
    )
    return ModelLeaderboard(
        scorer=scorer,
        kind=resolved,
        alpha=alpha,
        correction="holm",
        dataset_changed=dataset_changed(run.dataset_hash for run in runs.values()),
        rows=rows,
        pairs=tuple(pairs),
    )


def sample_events(runs: Mapping[str, RunSamples], scorer: str) -> list[dict[str, float]]:
    """One event per sample id that two or more models ran: model -> its mean over epochs.

    This is the data model of the competitions' ratings (:mod:`evalledger.stats.ratings`):
    on each sample the model with the higher score wins the pair, equal scores tie.
    """
    per_sample: dict[str, dict[str, list[float]]] = {}
    for model, run in runs.items():
        for (sample_id, _epoch), value in scorer_values(run, scorer).items():
            per_sample.setdefault(sample_id, {}).setdefault(model, []).append(value)
    return [
        {model: math.fsum(values) / len(values) for model, values in sorted(models.items())}
        for _, models in sorted(per_sample.items())
        if len(models) >= 2
    ]


def bradley_terry(
    runs: Mapping[str, RunSamples], scorer: str, *, rounds: int = 100, seed: int = 0
) -> dict[str, RatingInterval]:
    """Bradley-Terry ratings of the models from per-sample pairwise outcomes, with bootstrap
    intervals: the competitions' own fit and bootstrap, which resample whole samples."""
    from evalledger.stats.ratings import bootstrap_intervals

    return bootstrap_intervals(
        sample_events(runs, scorer), "bradley_terry", rounds=rounds, seed=seed
    )
