"""Percentiles and the paired cluster bootstrap: seeded, reproducible.

The draws are numpy's (:mod:`.resample`, issue #19: a Python loop over 100,000 samples took
seconds), from ``numpy.random.default_rng(seed)``: the same data and seed give the same
interval on every machine and every run, which is what lets a CI job re-run a comparison and
get the figures it got before. This module itself stays importable without numpy (the remote
Client reads comparisons through :mod:`.compare`, which imports it); numpy is loaded when a
bootstrap first runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalledger.stats.resample import Floats, Ints

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


#: Resample by counts (:mod:`.resample`) when there are at least this many clusters per
#: distinct cluster value; plain draws otherwise. With numpy a multinomial round costs about
#: 125 ns per distinct value and a plain round about 7 ns per cluster (measured at 100,000
#: clusters, 1,000 rounds: 0.43 s against 0.71 s of CPU at 29 clusters per value), so the
#: two cost the same near 18. Pass/fail scores have 3 values: runs of 60 samples and more go
#: by counts. (The pure-Python draws of before issue #19 broke even at 50.)
LEVELS_PER_CLUSTER = 20


def cluster_bootstrap_means(
    clusters: Sequence[ClusterTotal], rounds: int, seed: int, by_counts: bool | None = None
) -> list[float]:
    """The pooled mean of ``rounds`` resamples of whole clusters, drawn with replacement.

    Whole clusters are drawn, never single epochs: the epochs of one sample share its
    difficulty, so resampling them independently would pretend to more information than
    there is and give too narrow an interval. A resample's mean pools its values
    (sum of the sums / sum of the counts), the same estimator as the point estimate.

    Two exact ways to draw, chosen by the data alone unless ``by_counts`` says (so a given
    input always takes the same one): when there are at least ``LEVELS_PER_CLUSTER``
    clusters per distinct cluster value, the multinomial counts of the distinct values;
    otherwise ``n`` plain draws. Both give the same bootstrap distribution, from different
    streams of draws. When every cluster has the same size (every sample ran the same
    number of epochs) the pooled mean of plain draws is the mean of the drawn cluster means.
    The draws are numpy's (:mod:`.resample`, imported here on first use).
    """
    from evalledger.stats import resample

    totals, counts = _arrays(clusters)
    means: list[float] = resample.bootstrap_means(totals, counts, rounds, seed, by_counts).tolist()
    return means


def _arrays(clusters: Sequence[ClusterTotal]) -> tuple[Floats, Ints]:
    import numpy as np

    totals = np.array([total for total, _ in clusters], dtype=np.float64)
    counts = np.array([count for _, count in clusters], dtype=np.int64)
    return totals, counts


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
    if not clusters:
        return None
    from evalledger.stats import resample

    totals, counts = _arrays(clusters)
    means = resample.bootstrap_means(totals, counts, rounds, seed)
    return resample.percentile_interval(means, confidence)
