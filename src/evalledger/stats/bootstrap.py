"""Percentiles and the paired cluster bootstrap: pure Python, seeded, reproducible.

No numpy (not a dependency of evalledger): the draws come from ``random.Random(seed)``, so the
same data and seed give the same interval on every machine and every run, which is what lets a
CI job re-run a comparison and get the figures it got before.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

#: A cluster (one sample and all of its epochs) as (sum of its values, number of values).
ClusterTotal = tuple[float, int]


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default), ``q`` in [0, 1].

    ``sorted_values`` must be sorted ascending and non-empty.
    """
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def check_bootstrap_parameters(rounds: int, confidence: float) -> None:
    """The rounds and confidence every bootstrap here accepts (ValueError naming the field)."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


def cluster_bootstrap_means(
    clusters: Sequence[ClusterTotal], rounds: int, seed: int
) -> list[float]:
    """The pooled mean of ``rounds`` resamples of whole clusters, drawn with replacement.

    Whole clusters are drawn, never single epochs: the epochs of one sample share its
    difficulty, so resampling them independently would pretend to more information than
    there is and give too narrow an interval. A resample's mean pools its values
    (sum of the sums / sum of the counts), the same estimator as the point estimate.

    When every cluster has the same size (the usual case: every sample ran the same number of
    epochs) the pooled mean is the mean of the cluster means, which is cheaper; both paths
    consume the generator identically (one ``random()`` per draw), so they agree.
    """
    n = len(clusters)
    if n == 0:
        return []
    rng = random.Random(seed)
    sizes = {count for _, count in clusters}
    if len(sizes) == 1:
        means = [total / count for total, count in clusters]
        return [sum(rng.choices(means, k=n)) / n for _ in range(rounds)]
    totals = [total for total, _ in clusters]
    counts = [count for _, count in clusters]
    indices = range(n)
    results = []
    for _ in range(rounds):
        drawn = rng.choices(indices, k=n)
        results.append(sum(totals[i] for i in drawn) / sum(counts[i] for i in drawn))
    return results


def cluster_bootstrap_interval(
    clusters: Sequence[ClusterTotal],
    rounds: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile-bootstrap interval of a pooled mean over clusters; None without clusters.

    For a paired comparison the values are the per-pair differences (candidate - base) and a
    cluster is a sample with its paired epochs, so this is the paired bootstrap of the
    difference in means. The percentile interval is not guaranteed to contain the point
    estimate when the bootstrap distribution is skewed; with one cluster it is a point.
    """
    check_bootstrap_parameters(rounds, confidence)
    means = sorted(cluster_bootstrap_means(clusters, rounds, seed))
    if not means:
        return None
    tail = (1.0 - confidence) / 2.0
    return percentile(means, tail), percentile(means, 1.0 - tail)
