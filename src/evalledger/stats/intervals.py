"""95% intervals for a pass rate and a mean score: pure functions, no database.

The SQL aggregates give, per group, the count, the passes, and the sum and sum of squares of
the scores; everything else is computed here, so it is tested without a database and is the
same on both backends.
"""

from __future__ import annotations

import math

#: The standard normal quantile of a two-sided 95% interval.
Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson 1927; Newcombe 1998, method 3).

    Unlike the normal ("Wald") interval it stays inside [0, 1] and is not empty at 0 or
    ``trials`` successes, which matters for the small groups a comparison often has. No
    trials: the whole of [0, 1] (nothing is known).
    """
    if trials < 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 (or all) successes the bound is exactly 0 (1); floating point would miss it by 1e-17.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def sample_variance(count: int, total: float, total_squares: float) -> float:
    """The sample variance (n - 1 denominator) from the count, sum and sum of squares.

    Never negative (rounding of nearly equal values could make the difference so).
    """
    if count < 2:
        raise ValueError("a sample variance needs at least 2 values")
    mean = total / count
    return max(0.0, (total_squares - count * mean * mean) / (count - 1))


def mean_interval(
    count: int, total: float, total_squares: float, z: float = Z_95
) -> tuple[float, float] | None:
    """Mean +/- ``z`` standard errors (sample standard deviation): the normal approximation.

    ``None`` under 2 values (no spread to estimate). For small groups this is narrower than
    Student's t interval; the difference is under 5% of the width from 30 values on.
    """
    if count < 2:
        return None
    mean = total / count
    half = z * math.sqrt(sample_variance(count, total, total_squares) / count)
    return mean - half, mean + half
