"""Clustered standard errors and run means: epochs are never independent samples."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.stats.clustered import clustered_stderr, group_by_cluster, mean_estimate
from evalledger.stats.intervals import mean_interval, wilson_interval


def inspect_clustered_stderr(values: list[float], clusters: list[str]) -> float:
    """Inspect AI's ``stderr(cluster=...)`` written out with numpy, as its metric computes it."""
    x, c = np.array(values), np.array(clusters)
    mean = x.mean()
    unique = np.unique(c)
    total = sum(np.outer(x[c == k] - mean, x[c == k] - mean).sum() for k in unique)
    return float(np.sqrt(total * len(unique) / (len(unique) - 1)) / len(x))


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.floats(0, 1, allow_nan=False)), min_size=2, max_size=40
    ).filter(lambda rows: len({c for c, _ in rows}) >= 2)
)
def test_clustered_stderr_equals_inspects_formula(rows: list[tuple[int, float]]) -> None:
    clusters = [f"s{c}" for c, _ in rows]
    values = [v for _, v in rows]
    got = clustered_stderr(group_by_cluster(values, clusters))
    assert got == pytest.approx(inspect_clustered_stderr(values, clusters), rel=1e-9, abs=1e-12)


def test_one_value_per_sample_is_the_plain_standard_error() -> None:
    values = [0.2, 0.9, 0.4, 0.4, 0.75, 0.1]
    one_each = [[v] for v in values]
    got = clustered_stderr(one_each)
    assert got == pytest.approx(statistics.stdev(values) / math.sqrt(len(values)), rel=1e-12)
    estimate = mean_estimate(one_each, binary=False)
    expected = mean_interval(len(values), sum(values), sum(v * v for v in values))
    assert (estimate.low, estimate.high) == pytest.approx(expected, rel=1e-9)
    assert estimate.method == "clustered_stderr"


def test_under_two_samples_there_is_no_standard_error() -> None:
    assert clustered_stderr([[0.3, 0.5]]) is None
    single = mean_estimate([[0.3, 0.5]], binary=False)
    assert (single.mean, single.low, single.method) == (0.4, None, "none")
    empty = mean_estimate([], binary=True)
    assert (empty.mean, empty.n, empty.method) == (None, 0, "none")


def test_duplicating_every_epoch_does_not_narrow_the_interval() -> None:
    """Two identical epochs per sample carry no more information than one."""
    values = [0.1, 0.8, 0.5, 0.35, 0.9, 0.6, 0.2, 0.7]
    once = mean_estimate([[v] for v in values], binary=False)
    twice = mean_estimate([[v, v] for v in values], binary=False)
    assert (twice.low, twice.high) == pytest.approx((once.low, once.high), rel=1e-9)
    assert (twice.n, twice.n_samples) == (16, 8)
    # What treating the 16 values as independent would claim: about sqrt(2) narrower.
    naive = mean_estimate([[v] for v in values * 2], binary=False)
    assert naive.high is not None and naive.low is not None
    assert twice.high is not None and twice.low is not None
    assert (twice.high - twice.low) > 1.35 * (naive.high - naive.low)


def test_duplicated_epochs_of_a_pass_rate_stay_as_wide_as_one_epoch() -> None:
    passes = [1.0] * 14 + [0.0] * 6
    once = mean_estimate([[v] for v in passes], binary=True)
    twice = mean_estimate([[v, v] for v in passes], binary=True)
    assert once.method == "wilson" and twice.method == "clustered_stderr"
    assert once.low is not None and once.high is not None
    assert twice.low is not None and twice.high is not None
    wilson_if_independent = wilson_interval(28, 40)
    width_if_independent = wilson_if_independent[1] - wilson_if_independent[0]
    assert twice.high - twice.low > 1.2 * width_if_independent
    # Normal (clustered) rather than Wilson, so a little wider than one epoch, never narrower.
    assert twice.high - twice.low >= once.high - once.low
