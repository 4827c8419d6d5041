"""The seeded cluster bootstrap (numpy's draws, seeded and reproducible)."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.stats import resample
from evalledger.stats.bootstrap import (
    LEVELS_PER_CLUSTER,
    cluster_bootstrap_interval,
    cluster_bootstrap_means,
    percentile,
)


def test_cluster_bootstrap_resamples_samples_not_epochs() -> None:
    clusters_once = [(v, 1) for v in (0.0, 1.0, 1.0, 0.0, 1.0, -1.0, 0.0, 1.0)]
    clusters_twice = [(2 * v, 2) for v, _ in clusters_once]
    once = cluster_bootstrap_interval(clusters_once, rounds=500, seed=3)
    twice = cluster_bootstrap_interval(clusters_twice, rounds=500, seed=3)
    assert once == twice


def test_cluster_bootstrap_with_unequal_epochs_pools_the_values() -> None:
    # One sample with 3 epochs (all 1.0) and one with 1 epoch (0.0): a resample holding each
    # once has pooled mean 3/4, not the mean of means 1/2.
    means = cluster_bootstrap_means([(3.0, 3), (0.0, 1)], rounds=200, seed=0)
    assert set(means) <= {0.0, 0.75, 1.0}
    assert 0.75 in means


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-1, 1), st.integers(1, 3)), min_size=1, max_size=30),
    st.integers(0, 2**32),
)
def test_bootstrap_with_the_same_seed_is_reproducible(
    clusters: list[tuple[float, int]], seed: int
) -> None:
    first = cluster_bootstrap_interval(clusters, rounds=200, seed=seed)
    assert first == cluster_bootstrap_interval(clusters, rounds=200, seed=seed)
    assert first is not None and first[0] <= first[1]


def test_bootstrap_refuses_bad_parameters_and_has_nothing_without_clusters() -> None:
    assert cluster_bootstrap_interval([], rounds=10) is None
    with pytest.raises(ValueError, match="rounds"):
        cluster_bootstrap_interval([(1.0, 1)], rounds=0)
    with pytest.raises(ValueError, match="confidence"):
        cluster_bootstrap_interval([(1.0, 1)], confidence=1.0)


def pass_fail_differences(
    base_only: int, candidate_only: int, same: int
) -> list[tuple[float, int]]:
    return [(-1.0, 1)] * base_only + [(1.0, 1)] * candidate_only + [(0.0, 1)] * same


def test_resampling_by_counts_matches_the_normal_theory_interval() -> None:
    clusters = pass_fail_differences(300, 200, 2_500)
    n = len(clusters)
    assert n >= 3 * LEVELS_PER_CLUSTER  # the counts path
    low, high = cluster_bootstrap_interval(clusters, rounds=4_000, seed=11) or (0.0, 0.0)
    mean = -100 / n
    sd = math.sqrt((500 / n - mean**2) / n)
    assert low == pytest.approx(mean - 1.96 * sd, abs=0.002)
    assert high == pytest.approx(mean + 1.96 * sd, abs=0.002)


def test_resampling_by_counts_negates_exactly_and_ignores_repeated_epochs() -> None:
    clusters = pass_fail_differences(40, 25, 300)
    forward = cluster_bootstrap_interval(clusters, rounds=300, seed=5)
    negated = cluster_bootstrap_interval([(-t, c) for t, c in clusters], rounds=300, seed=5)
    doubled = cluster_bootstrap_interval([(2 * t, 2) for t, c in clusters], rounds=300, seed=5)
    assert forward is not None and negated is not None
    assert negated == pytest.approx((-forward[1], -forward[0]), abs=1e-12)
    assert doubled == forward


def test_both_ways_of_drawing_give_the_same_bootstrap_distribution() -> None:
    clusters = pass_fail_differences(120, 60, 420)
    by_counts = cluster_bootstrap_means(clusters, rounds=4_000, seed=1)
    plain = cluster_bootstrap_means(clusters, rounds=4_000, seed=1, by_counts=False)
    assert by_counts == cluster_bootstrap_means(clusters, rounds=4_000, seed=1, by_counts=True)
    assert by_counts != plain  # two different streams of draws...
    for q in (0.025, 0.5, 0.975):  # ...from one distribution
        assert percentile(sorted(by_counts), q) == pytest.approx(
            percentile(sorted(plain), q), abs=0.004
        )
    assert statistics.stdev(by_counts) == pytest.approx(statistics.stdev(plain), rel=0.05)


@pytest.mark.parametrize("by_counts", [True, False])
def test_blocks_drawn_on_several_threads_give_the_same_means_as_on_one(
    by_counts: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    totals = np.round(rng.uniform(-1, 1, 400), 2)
    counts = np.ones(len(totals), dtype=np.int64)
    monkeypatch.setattr(resample, "BLOCK_ELEMENTS", 1_000)  # many blocks, each its own stream
    assert len(resample._block_sizes(300, 400)) > 1
    on_four = resample.bootstrap_means(totals, counts, 300, seed=3, by_counts=by_counts)
    monkeypatch.setattr(resample.os, "cpu_count", lambda: 1)
    on_one = resample.bootstrap_means(totals, counts, 300, seed=3, by_counts=by_counts)
    assert on_four.tolist() == on_one.tolist()
    assert len(set(on_one.tolist())) > 250  # every block drew its own resamples


def test_rounds_split_into_near_equal_blocks_within_the_budget() -> None:
    for rounds, width in [(1_000, 3_400), (1_000, 100_000), (7, 1), (1, 10**7), (999, 3)]:
        sizes = resample._block_sizes(rounds, width)
        assert sum(sizes) == rounds
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) == 1 or max(sizes) * width <= resample.BLOCK_ELEMENTS + width
