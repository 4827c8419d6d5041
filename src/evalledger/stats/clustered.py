"""Clustered standard errors and each run's own mean with its interval (pure functions).

An evaluation that runs every sample several times (epochs) has values that are not
independent: a hard sample is hard in every epoch. Treating its epochs as independent samples
shrinks the standard error by up to sqrt(epochs) for no new information. Here every sample is
a cluster and the standard error is Inspect AI's clustered one (``stderr(cluster=...)``,
Appendix A of arXiv:2411.00640 with the finite-cluster correction C / (C - 1)):

    SE = sqrt(C / (C - 1) * sum_c (sum_{i in c} (x_i - mean))^2) / N

over C clusters and N values. With one value per cluster it is exactly s / sqrt(N), the
usual standard error; with every epoch an identical copy it is unchanged, as it should be.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

from evalledger.stats.bootstrap import ClusterTotal
from evalledger.stats.intervals import Z_95, wilson_interval

MeanMethod = Literal["wilson", "clustered_stderr", "none"]


#: Values grouped by cluster (one list per sample, its epochs' values).
Groups = Sequence[Sequence[float]]


def group_by_cluster(values: Sequence[float], clusters: Sequence[Hashable]) -> list[list[float]]:
    """Values grouped by their cluster label, clusters in first-seen order."""
    if len(values) != len(clusters):
        raise ValueError(f"{len(values)} values but {len(clusters)} cluster labels")
    groups: dict[Hashable, list[float]] = {}
    for value, cluster in zip(values, clusters, strict=True):
        groups.setdefault(cluster, []).append(value)
    return list(groups.values())


def cluster_totals(groups: Groups) -> list[ClusterTotal]:
    """(sum, count) per cluster: what the cluster bootstrap resamples."""
    return [(math.fsum(group), len(group)) for group in groups]


def clustered_stderr(groups: Groups) -> float | None:
    """Inspect AI's clustered standard error of the mean; None under 2 clusters.

    One cluster carries no information about the spread between clusters, so there is no
    standard error to give (Inspect would divide by zero).
    """
    n = sum(len(group) for group in groups)
    mean = math.fsum(math.fsum(group) for group in groups) / n if n else 0.0
    return stderr_from_spread(len(groups), n, lambda: _spread(groups, mean))


def _spread(groups: Groups, mean: float) -> float:
    """sum over clusters of (sum of the cluster's deviations from ``mean``)^2."""
    return math.fsum(math.fsum(v - mean for v in group) ** 2 for group in groups)


def stderr_from_spread(clusters: int, n: int, spread: Callable[[], float]) -> float | None:
    """The clustered standard error from ``spread`` (see :func:`_spread`), computed only when
    there are at least 2 of the ``clusters`` (over ``n`` values)."""
    if clusters < 2:
        return None
    return math.sqrt(spread() * clusters / (clusters - 1)) / n


@dataclass(frozen=True)
class MeanEstimate:
    """One run's mean score with its interval.

    ``n`` values over ``n_samples`` samples (clusters). ``method`` says how the interval was
    made: ``wilson`` for a pass rate with one value per sample, ``clustered_stderr`` (mean
    +/- z clustered standard errors, clipped to [0, 1] for a pass rate) otherwise, ``none``
    when there is nothing to estimate it from (no values: ``mean`` is None too; or a
    single sample of a continuous score).
    """

    mean: float | None
    low: float | None
    high: float | None
    n: int
    n_samples: int
    method: MeanMethod


def mean_estimate(groups: Groups, binary: bool, z: float = Z_95) -> MeanEstimate:
    """The mean of the grouped values with an interval that respects the clusters.

    Wilson is used only when every sample has one value: the Wilson interval assumes
    independent trials, which the epochs of one sample are not.
    """
    n, n_samples = sum(len(group) for group in groups), len(groups)
    total = math.fsum(math.fsum(group) for group in groups)
    return estimate_from_totals(n, n_samples, total, binary, z, lambda mean: _spread(groups, mean))


def estimate_from_totals(
    n: int,
    n_samples: int,
    total: float,
    binary: bool,
    z: float,
    spread: Callable[[float], float],
) -> MeanEstimate:
    """:func:`mean_estimate` of ``n`` values in ``n_samples`` clusters summing to ``total``;
    ``spread(mean)`` gives the clusters' squared deviation sums (the clustered standard
    error's numerator), asked for only when the interval needs it."""
    if n == 0:
        return MeanEstimate(None, None, None, 0, 0, "none")
    mean = total / n
    if binary and n == n_samples:
        low, high = wilson_interval(round(total), n, z)
        return MeanEstimate(mean, low, high, n, n_samples, "wilson")
    stderr = stderr_from_spread(n_samples, n, lambda: spread(mean))
    if stderr is None:
        if binary:  # one sample, several epochs: nothing is known beyond the rate's range
            return MeanEstimate(mean, 0.0, 1.0, n, n_samples, "none")
        return MeanEstimate(mean, None, None, n, n_samples, "none")
    low, high = mean - z * stderr, mean + z * stderr
    if binary:
        low, high = max(0.0, low), min(1.0, high)
    return MeanEstimate(mean, low, high, n, n_samples, "clustered_stderr")
