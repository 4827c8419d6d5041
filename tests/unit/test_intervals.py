"""The comparison's intervals against published worked examples (no database)."""

from __future__ import annotations

import math
import statistics

import pytest

from evalledger.stats.intervals import mean_interval, sample_variance, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # Newcombe (1998), "Two-sided confidence intervals for the single proportion",
        # Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score, no correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombes_table(
    successes: int, trials: int, low: float, high: float
) -> None:
    got = wilson_interval(successes, trials)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_stays_inside_zero_one_and_contains_the_rate() -> None:
    for trials in (1, 2, 7, 50):
        for successes in range(trials + 1):
            low, high = wilson_interval(successes, trials)
            assert 0.0 <= low <= successes / trials <= high <= 1.0
            assert high - low > 0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_mean_interval_is_normal_approximation_with_sample_sd() -> None:
    scores = [70.0, 80.0, 90.0, 85.0, 75.0]
    n, total, squares = len(scores), sum(scores), sum(s * s for s in scores)
    assert sample_variance(n, total, squares) == pytest.approx(statistics.variance(scores))
    low, high = mean_interval(n, total, squares)  # type: ignore[misc]
    half = 1.959963984540054 * statistics.stdev(scores) / math.sqrt(n)
    assert (low, high) == pytest.approx((80.0 - half, 80.0 + half))
    assert mean_interval(1, 50.0, 2500.0) is None
    # Equal values: no spread, and rounding never makes the variance negative.
    assert mean_interval(3, 0.3, 0.03) == pytest.approx((0.1, 0.1))


def test_a_group_from_its_aggregates() -> None:
    from datetime import UTC, datetime

    from evalledger.agents.results_summary import group

    at = datetime(2026, 1, 1, tzinfo=UTC)
    row = {"count": 2, "passed": 1, "total": 130.0, "squares": 90.0**2 + 40.0**2}
    g = group("v1", {**row, "first_at": at, "last_at": at})
    assert (g.count, g.passed, g.pass_rate, g.mean_score) == (2, 1, 0.5, 65.0)
    assert (g.pass_rate_interval.low, g.pass_rate_interval.high) == pytest.approx(
        wilson_interval(1, 2)
    )
    # 65 +/- 1.96 * 35.36 / sqrt(2) reaches past 100: cut to the score range.
    assert g.mean_score_interval is not None and g.mean_score_interval.high == 100.0
    assert g.mean_score_interval.low == pytest.approx(65.0 - 1.959963984540054 * 25.0)
