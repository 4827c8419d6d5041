"""The cluster bootstrap's draws, vectorised with numpy (issue #19: 100,000 samples in < 1 s).

What is drawn is the same as before: ``rounds`` resamples of ``n`` whole clusters with
replacement, each summarised by its pooled mean (sum of the drawn sums / sum of the drawn
counts). Two exact ways to draw, chosen by the data as before (:data:`LEVELS_PER_CLUSTER`):

* by counts: how often each *distinct* cluster is drawn, one Multinomial(n, share) row per
  round (``Generator.multinomial``), then the pooled mean is two dot products. Pass/fail
  scores have 3 distinct differences, so a round costs 3 numbers instead of n.
* plain: an integer index matrix of ``rounds x n`` draws, gathered and summed per row.

Either way the rounds go in blocks of at most :data:`BLOCK_ELEMENTS` drawn numbers, so the
memory stays bounded (about 16 MB per array) whatever ``n`` and ``rounds`` are.

Reproducible: the draws come from ``numpy.random.default_rng(seed)`` (PCG64), so the same data
and seed give the same interval on every machine. numpy documents that a ``Generator``'s
streams are stable across platforms but may change between numpy releases (NEP 19); the
seed makes a result reproducible for a given numpy version.

Imported only when a bootstrap runs (not by :mod:`.compare`'s result types), so that the
remote Client, which deserialises comparisons, does not load numpy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evalledger.stats.bootstrap import LEVELS_PER_CLUSTER, percentile

#: Most numbers drawn at once (rounds per block x clusters or levels per round).
BLOCK_ELEMENTS = 1 << 21

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def levels(totals: Floats, counts: Ints) -> tuple[Floats, Ints, Ints]:
    """The distinct (total, count) clusters with their multiplicity, in first-seen order.

    First-seen order (not sorted order) is what makes negating every value, or repeating
    every epoch, keep the levels' order and hence draw exactly the same counts. ``-0.0`` and
    ``0.0`` are one level, represented by whichever came first (as a dict would).
    """
    order = np.lexsort((counts, totals))
    sorted_totals, sorted_counts = totals[order], counts[order]
    boundary = np.empty(len(order), dtype=bool)
    boundary[0] = True
    boundary[1:] = (sorted_totals[1:] != sorted_totals[:-1]) | (
        sorted_counts[1:] != sorted_counts[:-1]
    )
    starts = np.flatnonzero(boundary)
    first_seen = np.minimum.reduceat(order, starts)
    multiplicity = np.diff(np.append(starts, len(order)))
    by_first = np.argsort(first_seen, kind="stable")
    first = first_seen[by_first]
    return totals[first], counts[first], multiplicity[by_first].astype(np.int64)


def _blocks(rounds: int, width: int) -> list[int]:
    per_block = max(1, BLOCK_ELEMENTS // max(1, width))
    return [min(per_block, rounds - start) for start in range(0, rounds, per_block)]


def _by_counts(
    level_totals: Floats,
    level_counts: Ints,
    multiplicity: Ints,
    rounds: int,
    rng: np.random.Generator,
) -> Floats:
    n = int(multiplicity.sum())
    share = multiplicity / n
    weights = level_counts.astype(np.float64)
    out = []
    for size in _blocks(rounds, len(share)):
        drawn = rng.multinomial(n, share, size=size).astype(np.float64)
        out.append((drawn * level_totals).sum(axis=1) / (drawn * weights).sum(axis=1))
    return np.concatenate(out)


def _plain(totals: Floats, counts: Ints, rounds: int, rng: np.random.Generator) -> Floats:
    n = len(totals)
    equal_sizes = bool((counts == counts[0]).all())
    means = totals / counts
    index = np.int32 if n < 2**31 else np.int64  # half the memory and faster draws
    out = []
    for size in _blocks(rounds, n):
        drawn = rng.integers(0, n, size=(size, n), dtype=index)
        if equal_sizes:  # the pooled mean is the mean of the drawn cluster means
            out.append(np.take(means, drawn).sum(axis=1) / n)
        else:
            out.append(np.take(totals, drawn).sum(axis=1) / np.take(counts, drawn).sum(axis=1))
    return np.concatenate(out)


def bootstrap_means(
    totals: Floats, counts: Ints, rounds: int, seed: int, by_counts: bool | None = None
) -> Floats:
    """The pooled mean of ``rounds`` resamples of the clusters (``totals[i]`` the sum of
    cluster i's values, ``counts[i]`` how many it has); empty without clusters.

    ``by_counts`` forces one way of drawing (both give the same bootstrap distribution);
    by default the data choose, so a given input always takes the same one.
    """
    n = len(totals)
    if n == 0:
        return np.empty(0, dtype=np.float64)
    rng = np.random.default_rng(seed)
    level_totals, level_counts, multiplicity = levels(totals, counts)
    if by_counts is None:
        by_counts = len(multiplicity) * LEVELS_PER_CLUSTER <= n
    if by_counts:
        return _by_counts(level_totals, level_counts, multiplicity, rounds, rng)
    return _plain(totals, counts, rounds, rng)


def percentile_interval(means: Floats, confidence: float) -> tuple[float, float]:
    """The percentile interval of non-empty bootstrap means (linear interpolation)."""
    ordered: list[float] = np.sort(means).tolist()
    tail = (1.0 - confidence) / 2.0
    return percentile(ordered, tail), percentile(ordered, 1.0 - tail)
