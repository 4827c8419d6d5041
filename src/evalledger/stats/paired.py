"""Paired significance tests: exact McNemar and the Wilcoxon signed-rank test (pure Python).

Both look only at what changed between the two runs of one sample, which is what makes a
paired comparison far more sensitive than comparing two means: a sample both runs pass (or
both fail) says nothing about which run is better.

Why Wilcoxon rather than a paired t test for continuous scores: evaluation scores are bounded,
often lumpy (many exact 0s and 1s) and skewed, where the t test's normality is a poor
assumption at the sample sizes of a small eval; the signed-rank test needs only symmetry of
the differences under no change, and needs no t distribution (no scipy at run time).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: Up to this many discordant pairs McNemar's tail is summed in exact integer arithmetic;
#: above it in floating point from log-gamma (relative error about 1e-10, far below what
#: any decision depends on, and much faster on 100,000-sample runs).
MCNEMAR_EXACT_INTEGER_LIMIT = 10_000

#: Up to this many non-zero differences without ties the signed-rank p-value is exact (the
#: same rule as scipy's ``method="auto"``); otherwise the normal approximation is used.
WILCOXON_EXACT_MAX_N = 50


def _binomial_half_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), k <= n / 2."""
    if n <= MCNEMAR_EXACT_INTEGER_LIMIT:
        term = math.comb(n, k)
        total = term
        for i in range(k, 0, -1):  # C(n, i - 1) = C(n, i) * i / (n - i + 1), exactly
            term = term * i // (n - i + 1)
            total += term
        return total / (1 << n)
    log_first = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)
    ratio, scaled = 1.0, 1.0
    for i in range(k, 0, -1):
        ratio *= i / (n - i + 1)
        scaled += ratio
        if ratio < 1e-17 * scaled:
            break
    return math.exp(log_first) * scaled


def mcnemar_exact(base_only: int, candidate_only: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts.

    ``base_only``: pairs the base passed and the candidate failed; ``candidate_only``: the
    reverse. Under no difference each discordant pair is a fair coin, so the p-value is the
    two-sided binomial test of min(b, c) out of b + c at 1/2: twice the smaller tail, capped
    at 1 (equal to scipy's ``binomtest(...).pvalue``, the distribution being symmetric).
    No discordant pairs: 1.
    """
    if base_only < 0 or candidate_only < 0:
        raise ValueError(f"discordant counts must be >= 0, got {base_only}, {candidate_only}")
    n = base_only + candidate_only
    k = min(base_only, candidate_only)
    if n == 0 or 2 * k == n:
        return 1.0
    return min(1.0, 2.0 * _binomial_half_cdf(k, n))


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


@dataclass(frozen=True)
class SignedRankResult:
    """A Wilcoxon signed-rank test of paired differences.

    ``statistic`` is min(W+, W-) (scipy's two-sided convention); ``n_nonzero`` the
    differences left after dropping zeros (Wilcoxon's ``zero_method="wilcox"``); ``method``
    ``exact`` (the permutation distribution of the ranks) or ``normal`` (with tie and
    continuity corrections), and ``z`` the corrected normal deviate for ``normal``.
    """

    statistic: float
    p_value: float
    method: Literal["exact", "normal"]
    n_nonzero: int
    z: float | None = None


def _average_ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Ranks from 1 with ties given their average rank, and the size of each tie group."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    sizes: list[int] = []
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        sizes.append(end - start + 1)
        start = end + 1
    return ranks, sizes


@functools.lru_cache(maxsize=64)
def _signed_rank_counts(n: int) -> tuple[int, ...]:
    """How many of the 2**n sign assignments of ranks 1..n give each W+ from 0 to n(n+1)/2."""
    counts = [1]
    for rank in range(1, n + 1):
        grown = counts + [0] * rank
        for total, ways in enumerate(counts):
            grown[total + rank] += ways
        counts = grown
    return tuple(counts)


def wilcoxon_signed_rank(differences: Sequence[float]) -> SignedRankResult:
    """Two-sided Wilcoxon signed-rank test that the differences are centred on zero.

    Zeros are dropped. Exact when at most ``WILCOXON_EXACT_MAX_N`` differences remain and no
    two absolute differences tie: p = 2 min(P(W+ <= w), P(W+ >= w)), capped at 1. Otherwise
    the normal approximation: mean n(n+1)/4, variance (n(n+1)(2n+1) - sum(t^3 - t)/2) / 24
    over tie groups of size t, and a continuity correction of 1/2 towards the mean. Equal to
    scipy's ``wilcoxon(d, method="exact")`` and ``wilcoxon(d, method="asymptotic",
    correction=True)`` respectively. No non-zero difference: p = 1.
    """
    nonzero = [d for d in differences if d != 0]
    for d in nonzero:
        if not math.isfinite(d):
            raise ValueError(f"differences must be finite, got {d!r}")
    n = len(nonzero)
    if n == 0:
        return SignedRankResult(0.0, 1.0, "exact", 0)
    ranks, tie_sizes = _average_ranks([abs(d) for d in nonzero])
    w_plus = math.fsum(rank for rank, d in zip(ranks, nonzero, strict=True) if d > 0)
    return signed_rank_result(n, w_plus, tie_sizes)


def signed_rank_result(n: int, w_plus: float, tie_sizes: Sequence[int]) -> SignedRankResult:
    """The test of :func:`wilcoxon_signed_rank` from ``n`` > 0 non-zero differences, the sum
    ``w_plus`` of the ranks of the positive ones, and the sizes of the absolute values' tie
    groups (shared with the numpy ranking of :mod:`.paired_arrays`)."""
    statistic = min(w_plus, n * (n + 1) / 2 - w_plus)
    if n <= WILCOXON_EXACT_MAX_N and all(size == 1 for size in tie_sizes):
        counts = _signed_rank_counts(n)
        w = round(w_plus)
        lower, upper = sum(counts[: w + 1]), sum(counts[w:])
        p = min(1.0, 2 * min(lower, upper) / (1 << n))
        return SignedRankResult(statistic, p, "exact", n)
    mean = n * (n + 1) / 4
    variance = (n * (n + 1) * (2 * n + 1) - sum(t**3 - t for t in tie_sizes) / 2) / 24
    se = math.sqrt(variance)
    z = (w_plus - mean) / se
    z -= math.copysign(0.5 / se, z) if z != 0 else 0.0
    return SignedRankResult(statistic, normal_two_sided_p(z), "normal", n, z)
