"""Comparing two runs' samples: alignment, paired figures, properties (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.stats.align import MissingSample, RunSamples, SampleScore
from evalledger.stats.compare import Comparison, compare
from evalledger.stats.paired import mcnemar_exact
from tests.support.runsamples import run

ROUNDS = 200


def compared(base: RunSamples, candidate: RunSamples, seed: int = 0) -> Comparison:
    return compare(base, candidate, rounds=ROUNDS, seed=seed)


def test_a_worse_candidate_shows_the_drop_and_lists_the_regressed_samples() -> None:
    base = run([1.0] * 30 + [0.0] * 10)
    candidate = run([1.0] * 18 + [0.0] * 12 + [1.0] * 2 + [0.0] * 8)
    entry = compared(base, candidate).scorer("match")
    assert entry.kind == "binary"
    assert (entry.n_pairs, entry.n_samples, entry.max_epochs) == (40, 40, 1)
    assert entry.base.mean == pytest.approx(0.75) and entry.candidate.mean == pytest.approx(0.5)
    assert entry.base.method == "wilson"
    assert entry.difference.estimate == pytest.approx(-0.25)
    assert entry.difference.low is not None and entry.difference.high is not None
    assert entry.difference.low < -0.25 < entry.difference.high < 0
    assert entry.test.name == "mcnemar_exact"
    assert (entry.test.base_only, entry.test.candidate_only) == (12, 2)
    assert entry.test.p_value == pytest.approx(mcnemar_exact(12, 2))
    counts = entry.counts
    assert (counts.improved, counts.regressed, counts.unchanged, counts.missing) == (2, 12, 26, 0)
    assert [s.sample_id for s in entry.regressed_samples] == [f"s{i:03d}" for i in range(18, 30)]
    assert all((s.base, s.candidate) == (1.0, 0.0) for s in entry.regressed_samples)


def test_samples_in_one_run_only_are_missing_and_never_count_as_passes() -> None:
    base = run([1.0] * 8 + [0.0, 0.0])  # s008, s009 failed in the base
    candidate = run([1.0] * 8 + [1.0], ids=[f"s{i:03d}" for i in range(8)] + ["s100"])
    entry = compared(base, candidate).scorer("match")
    assert entry.n_pairs == 8
    assert entry.candidate.n == 8 and entry.candidate.mean == 1.0
    assert entry.difference.estimate == 0.0  # dropping the base's failures gains nothing
    assert entry.missing == (
        MissingSample("s008", 1, "candidate"),
        MissingSample("s009", 1, "candidate"),
        MissingSample("s100", 1, "base"),
    )
    assert entry.counts.missing == 3


def test_a_scorer_in_one_run_only_has_every_sample_missing() -> None:
    base = RunSamples([*run([1.0, 0.0]).scores, *run([0.5, 0.5], scorer="f1").scores])
    entry = compared(base, run([1.0, 1.0])).scorer("f1")
    assert entry.n_pairs == 0 and entry.counts.missing == 2
    assert entry.difference.estimate is None and entry.difference.low is None
    assert (entry.test.name, entry.test.p_value) == ("none", 1.0)
    assert entry.base.mean is None


def test_differing_dataset_hashes_are_reported() -> None:
    result = compared(run([1.0, 0.0]), run([1.0, 0.0], dataset_hash="h2"))
    assert result.dataset_changed
    assert (result.base_dataset_hash, result.candidate_dataset_hash) == ("h1", "h2")
    assert not compared(run([1.0]), run([1.0], dataset_hash=None)).dataset_changed


def test_bad_input_is_refused_naming_what_is_wrong() -> None:
    duplicated = RunSamples([SampleScore("a", 1, "match", 1.0), SampleScore("a", 1, "match", 0.0)])
    with pytest.raises(ValueError, match="two values"):
        compared(duplicated, run([1.0]))
    with pytest.raises(ValueError, match="non-finite"):
        compared(RunSamples([SampleScore("a", 1, "match", float("nan"))]), run([1.0]))
    with pytest.raises(ValueError, match="scorers"):
        compare(run([1.0]), run([1.0]), scorers=["nope"])
    with pytest.raises(ValueError, match="declared binary"):
        compare(run([0.5]), run([1.0]), kinds={"match": "binary"})
    with pytest.raises(ValueError, match="kinds"):
        compare(run([0.5]), run([1.0]), kinds={"f1": "continuous"})
    with pytest.raises(ValueError, match="rounds"):
        compare(run([1.0]), run([1.0]), rounds=0)


def test_continuous_scores_use_wilcoxon_and_a_declared_kind_wins() -> None:
    base = run([0.2, 0.5, 0.4, 0.9, 0.3, 0.6])
    candidate = run([0.3, 0.7, 0.45, 0.95, 0.6, 0.62])
    entry = compared(base, candidate).scorer("match")
    assert entry.kind == "continuous" and entry.base.method == "clustered_stderr"
    assert entry.test.name == "wilcoxon_exact"
    assert entry.test.p_value == pytest.approx(2 / 64)  # all six differences positive
    declared = compare(run([1.0, 0.0]), run([1.0, 1.0]), kinds={"match": "continuous"})
    assert declared.scorer("match").test.name.startswith("wilcoxon")


def test_several_epochs_are_clustered_by_sample() -> None:
    base_values = [1.0] * 20 + [0.0] * 20
    candidate_values = [1.0] * 14 + [0.0] * 6 + [1.0] * 2 + [0.0] * 18
    once = compared(run(base_values), run(candidate_values)).scorer("match")
    twice = compared(run(base_values, epochs=2), run(candidate_values, epochs=2)).scorer("match")
    assert (twice.n_pairs, twice.n_samples, twice.max_epochs) == (80, 40, 2)
    assert twice.difference.estimate == pytest.approx(once.difference.estimate)
    # Resampling samples: the duplicated epochs give exactly the same bootstrap interval.
    assert (twice.difference.low, twice.difference.high) == (
        once.difference.low,
        once.difference.high,
    )
    # The test works on per-sample differences: not McNemar on 12 vs 4 "independent" pairs.
    assert twice.test.name == "wilcoxon_normal"
    assert twice.test.p_value > mcnemar_exact(12, 4)
    assert twice.counts.regressed == 12  # (sample, epoch) pairs, as the log records them


def binary_pairs(min_size: int = 1) -> st.SearchStrategy[tuple[list[float], list[float]]]:
    return st.integers(min_size, 40).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n),
            st.lists(st.sampled_from([0.0, 1.0]), min_size=n, max_size=n),
        )
    )


def continuous_pairs() -> st.SearchStrategy[tuple[list[float], list[float]]]:
    score = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))
    return st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.lists(score, min_size=n, max_size=n), st.lists(score, min_size=n, max_size=n)
        )
    )


any_pairs = st.one_of(binary_pairs(), continuous_pairs())


@settings(max_examples=60, deadline=None)
@given(any_pairs, st.integers(1, 3))
def test_swapping_the_runs_negates_the_difference_and_keeps_the_p_value(
    values: tuple[list[float], list[float]], epochs: int
) -> None:
    a, b = run(values[0], epochs=epochs), run(values[1], epochs=epochs)
    forward, backward = compared(a, b).scorer("match"), compared(b, a).scorer("match")
    assert forward.difference.estimate is not None and backward.difference.estimate is not None
    assert backward.difference.estimate == pytest.approx(-forward.difference.estimate, abs=1e-12)
    assert backward.test.p_value == pytest.approx(forward.test.p_value, rel=1e-12)
    assert forward.difference.low is not None and backward.difference.high is not None
    assert backward.difference.high == pytest.approx(-forward.difference.low, abs=1e-12)
    assert (forward.counts.improved, forward.counts.regressed) == (
        backward.counts.regressed,
        backward.counts.improved,
    )


@settings(max_examples=60, deadline=None)
@given(any_pairs, st.integers(1, 3))
def test_identical_runs_give_no_difference_and_p_one(
    values: tuple[list[float], list[float]], epochs: int
) -> None:
    entry = compared(run(values[0], epochs=epochs), run(values[0], epochs=epochs)).scorer("match")
    assert entry.difference.estimate == 0.0
    assert (entry.difference.low, entry.difference.high) == (0.0, 0.0)
    assert entry.test.p_value == 1.0
    assert entry.counts.unchanged == entry.n_pairs and not entry.regressed_samples


@settings(max_examples=60, deadline=None)
@given(any_pairs)
def test_adding_a_strictly_better_sample_moves_the_difference_up(
    values: tuple[list[float], list[float]],
) -> None:
    base_values, candidate_values = values
    before = compared(run(base_values), run(candidate_values)).scorer("match")
    after = compared(run([*base_values, 0.0]), run([*candidate_values, 1.0])).scorer("match")
    assert before.difference.estimate is not None and after.difference.estimate is not None
    # A pair that goes from 0 to 1 is as good as a pair can get: it raises the mean
    # difference unless every pair already did the same.
    if before.difference.estimate < 1.0:
        assert after.difference.estimate > before.difference.estimate
    else:
        assert after.difference.estimate == 1.0
    assert after.counts.improved == before.counts.improved + 1


@settings(max_examples=30, deadline=None)
@given(any_pairs, st.integers(0, 2**31))
def test_the_same_seed_gives_the_same_comparison(
    values: tuple[list[float], list[float]], seed: int
) -> None:
    a, b = run(values[0], epochs=2), run(values[1], epochs=2)
    assert compared(a, b, seed=seed) == compared(a, b, seed=seed)


def test_large_pass_fail_runs_keep_the_properties() -> None:
    """600 samples: the bootstrap resamples by counts here, and must behave the same."""
    base_values = [1.0] * 400 + [0.0] * 200
    candidate_values = [1.0] * 350 + [0.0] * 50 + [1.0] * 30 + [0.0] * 170
    forward = compared(run(base_values), run(candidate_values)).scorer("match")
    backward = compared(run(candidate_values), run(base_values)).scorer("match")
    assert forward.difference.low is not None and forward.difference.high is not None
    assert backward.difference.low == pytest.approx(-forward.difference.high, abs=1e-12)
    assert backward.test.p_value == forward.test.p_value
    assert forward.difference.low < -20 / 600 < forward.difference.high < 0.01
    twice = compared(run(base_values, epochs=2), run(candidate_values, epochs=2)).scorer("match")
    assert (twice.difference.low, twice.difference.high) == (
        forward.difference.low,
        forward.difference.high,
    )
    same = compared(run(base_values), run(base_values)).scorer("match")
    assert (same.difference.low, same.difference.high, same.test.p_value) == (0.0, 0.0, 1.0)
