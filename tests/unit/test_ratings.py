"""Tests for evalledger.stats.ratings (pure: no database)."""

from __future__ import annotations

import math
import random
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.stats.ratings import (
    RatingInterval,
    bootstrap_intervals,
    bradley_terry_ratings,
    elo_ratings,
    pairwise_outcomes,
    rank,
)

AGENTS = ["a", "b", "c", "d", "e"]

# An event: 2..5 distinct agents with small integer scores (integers make ties likely).
event_strategy = st.dictionaries(
    keys=st.sampled_from(AGENTS),
    values=st.integers(min_value=0, max_value=3).map(float),
    min_size=2,
    max_size=len(AGENTS),
)
events_strategy = st.lists(event_strategy, min_size=1, max_size=12)


# --- pairwise outcomes -------------------------------------------------------------------


def test_pairwise_outcomes_order_and_values() -> None:
    events = [{"c": 1.0, "a": 2.0, "b": 2.0}, {"b": 0.0, "a": 5.0}]
    assert pairwise_outcomes(events) == [
        ("a", "b", 0.5),
        ("a", "c", 1.0),
        ("b", "c", 1.0),
        ("a", "b", 1.0),
    ]


def test_single_agent_event_yields_nothing_and_agent_is_absent() -> None:
    events = [{"solo": 1.0}, {"a": 1.0, "b": 0.0}]
    assert pairwise_outcomes(events) == [("a", "b", 1.0)]
    assert set(elo_ratings(events)) == {"a", "b"}
    assert set(bradley_terry_ratings(events)) == {"a", "b"}


def test_non_finite_score_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        pairwise_outcomes([{"a": math.nan, "b": 1.0}])


def test_empty_input() -> None:
    assert elo_ratings([]) == {}
    assert bradley_terry_ratings([]) == {}
    assert bootstrap_intervals([], "elo") == {}


# --- Elo ---------------------------------------------------------------------------------


def test_elo_single_game_matches_formula() -> None:
    ratings = elo_ratings([{"a": 1.0, "b": 0.0}], k=4.0)
    # Equal start -> expected 0.5 -> winner +k/2, loser -k/2.
    assert ratings == pytest.approx({"a": 1002.0, "b": 998.0})


def test_elo_depends_on_order() -> None:
    forward = [{"a": 1.0, "b": 0.0}, {"a": 0.0, "b": 1.0}]
    backward = list(reversed(forward))
    r_forward = elo_ratings(forward)
    r_backward = elo_ratings(backward)
    # Whoever wins last ends ahead: order matters for Elo.
    assert r_forward["b"] > r_forward["a"]
    assert r_backward["a"] > r_backward["b"]
    assert r_forward != pytest.approx(r_backward)


def test_elo_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError, match="k must be"):
        elo_ratings([{"a": 1.0, "b": 0.0}], k=0.0)
    with pytest.raises(ValueError, match="base must be"):
        elo_ratings([{"a": 1.0, "b": 0.0}], base=1.0)
    with pytest.raises(ValueError, match="scale must be"):
        bradley_terry_ratings([{"a": 1.0, "b": 0.0}], scale=-1.0)


# --- ties ----------------------------------------------------------------------------------


def test_always_tied_agents_get_equal_ratings() -> None:
    # Bradley-Terry: x and y tie each other and have identical records against z.
    events = [{"x": 3.0, "y": 3.0, "z": 1.0}, {"x": 0.5, "y": 0.5}, {"x": 2.0, "y": 2.0, "z": 9.0}]
    ratings = bradley_terry_ratings(events)
    assert ratings["x"] == pytest.approx(ratings["y"], abs=1e-9)
    # Elo is sequential: within an event x meets z before y does, so x and y see a different
    # z and drift apart slightly even with identical results. Head to head, ties are exact.
    assert elo_ratings(events)["x"] != elo_ratings(events)["y"]
    assert elo_ratings([{"x": 1.0, "y": 1.0}] * 4) == {"x": 1000.0, "y": 1000.0}


def test_ties_count_half_a_win() -> None:
    # Only ties: nobody is better, everybody sits at the initial rating.
    events = [{"a": 1.0, "b": 1.0}] * 5
    assert elo_ratings(events) == {"a": 1000.0, "b": 1000.0}
    assert bradley_terry_ratings(events) == pytest.approx({"a": 1000.0, "b": 1000.0})
    # Two wins and two ties for a against b is the same evidence as 3 wins, 1 loss in BT.
    with_ties = [{"a": 1.0, "b": 0.0}] * 2 + [{"a": 1.0, "b": 1.0}] * 2
    with_split = [{"a": 1.0, "b": 0.0}] * 3 + [{"a": 0.0, "b": 1.0}]
    assert bradley_terry_ratings(with_ties) == pytest.approx(bradley_terry_ratings(with_split))


# --- Bradley-Terry against independent computations --------------------------------------


def test_bradley_terry_two_agents_closed_form() -> None:
    # For two agents the MLE satisfies p1/p2 = w1/w2 (with the prior's prior/2 per side).
    prior = 0.01
    events = [{"p": 1.0, "q": 0.0}] * 7 + [{"p": 0.0, "q": 1.0}] * 3
    ratings = bradley_terry_ratings(events, prior=prior)
    ratio = (7 + prior / 2) / (3 + prior / 2)
    assert ratings["p"] - ratings["q"] == pytest.approx(400.0 * math.log10(ratio), abs=1e-6)
    # Geometric-mean normalisation centres the pair on the initial rating.
    assert ratings["p"] + ratings["q"] == pytest.approx(2000.0, abs=1e-6)


def _bt_by_gradient_ascent(wins: dict[tuple[str, str], float]) -> dict[str, float]:
    """Plain gradient ascent on the BT log-likelihood in natural-log strengths theta.

    l(theta) = sum_{i,j} w_ij * (theta_i - log(e^theta_i + e^theta_j)); the gradient for i is
    W_i - sum_j n_ij * sigmoid(theta_i - theta_j). Deliberately a different algorithm from the
    fixed-point iteration under test.
    """
    agents = sorted({a for pair in wins for a in pair})
    theta = dict.fromkeys(agents, 0.0)
    for _ in range(20_000):
        grad = dict.fromkeys(agents, 0.0)
        for (i, j), w in wins.items():
            p_ij = 1.0 / (1.0 + math.exp(theta[j] - theta[i]))
            grad[i] += w * (1.0 - p_ij)
            grad[j] -= w * (1.0 - p_ij)
        for a in agents:
            theta[a] += 0.05 * grad[a]
    mean = sum(theta.values()) / len(theta)
    return {a: 1000.0 + 400.0 * (theta[a] - mean) / math.log(10.0) for a in agents}


def test_bradley_terry_matches_gradient_ascent_three_agents() -> None:
    # Known win counts: a beat b 6-2, b beat c 5-3, a beat c 7-1, plus 2 a-b ties.
    events: list[dict[str, float]] = []
    events += [{"a": 1.0, "b": 0.0}] * 6 + [{"a": 0.0, "b": 1.0}] * 2
    events += [{"a": 1.0, "b": 1.0}] * 2
    events += [{"b": 1.0, "c": 0.0}] * 5 + [{"b": 0.0, "c": 1.0}] * 3
    events += [{"a": 1.0, "c": 0.0}] * 7 + [{"a": 0.0, "c": 1.0}] * 1
    prior = 0.01
    half = prior / 2
    # Win matrix including ties as half-wins and the prior's virtual ties.
    wins = {
        ("a", "b"): 6 + 1 + half,
        ("b", "a"): 2 + 1 + half,
        ("b", "c"): 5 + half,
        ("c", "b"): 3 + half,
        ("a", "c"): 7 + half,
        ("c", "a"): 1 + half,
    }
    expected = _bt_by_gradient_ascent(wins)
    actual = bradley_terry_ratings(events, prior=prior)
    assert actual == pytest.approx(expected, abs=1e-4)
    assert [name for name, _ in rank(actual)] == ["a", "b", "c"]


def test_bradley_terry_undefeated_agent_is_finite_and_converges_fast() -> None:
    # 500 clean sweeps: the regime where Hunter's MM crawls; must converge and be exact.
    events = [{"top": 1.0, "bottom": 0.0}] * 500
    ratings = bradley_terry_ratings(events, max_iter=50)
    assert all(math.isfinite(v) for v in ratings.values())
    expected_gap = 400.0 * math.log10((500 + 0.005) / 0.005)
    assert ratings["top"] - ratings["bottom"] == pytest.approx(expected_gap, abs=1e-6)


def test_bradley_terry_disconnected_groups_centred_separately() -> None:
    events = [{"a": 1.0, "b": 0.0}, {"x": 1.0, "y": 0.0}] * 3
    ratings = bradley_terry_ratings(events)
    assert ratings["a"] + ratings["b"] == pytest.approx(2000.0)
    assert ratings["x"] + ratings["y"] == pytest.approx(2000.0)


def test_bradley_terry_rejects_non_positive_prior() -> None:
    with pytest.raises(ValueError, match="prior"):
        bradley_terry_ratings([{"a": 1.0, "b": 0.0}], prior=0.0)


def test_bradley_terry_reports_non_convergence() -> None:
    events = [{"a": 1.0, "b": 0.0, "c": 0.5}] * 3 + [{"a": 0.0, "c": 1.0}]
    with pytest.raises(RuntimeError, match="converge"):
        bradley_terry_ratings(events, max_iter=1)


# --- properties ----------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    events=st.lists(
        st.dictionaries(
            keys=st.sampled_from(AGENTS),
            values=st.integers(min_value=0, max_value=3).map(float),
            min_size=1,
            max_size=len(AGENTS),
        ),
        min_size=1,
        max_size=12,
    ),
    champion_name=st.sampled_from(["aaa", "mmm", "zzz"]),
)
def test_agent_beating_everyone_in_every_event_ranks_first(
    events: list[dict[str, float]], champion_name: str
) -> None:
    # Put the champion into every event with a score above everyone else's.
    with_champion = [{**event, champion_name: 100.0} for event in events]
    for ratings in (elo_ratings(with_champion), bradley_terry_ratings(with_champion)):
        ranked = rank(ratings)
        assert ranked[0][0] == champion_name
        assert all(ranked[0][1] > value for _, value in ranked[1:])


def _relabel(events: list[dict[str, float]], mapping: dict[str, str]) -> list[dict[str, float]]:
    return [{mapping[agent]: score for agent, score in event.items()} for event in events]


@settings(max_examples=50, deadline=None)
@given(events=events_strategy, permutation=st.permutations(AGENTS))
def test_bradley_terry_relabelling_permutes_ratings(
    events: list[dict[str, float]], permutation: list[str]
) -> None:
    mapping = dict(zip(AGENTS, permutation, strict=True))
    original = bradley_terry_ratings(events)
    relabelled = bradley_terry_ratings(_relabel(events, mapping))
    assert relabelled == pytest.approx(
        {mapping[agent]: value for agent, value in original.items()}, abs=1e-6
    )


@settings(max_examples=50, deadline=None)
@given(
    events=events_strategy,
    new_names=st.lists(
        st.text(alphabet="abcdefghij", min_size=1, max_size=4),
        min_size=len(AGENTS),
        max_size=len(AGENTS),
        unique=True,
    ),
)
def test_elo_relabelling_permutes_ratings(
    events: list[dict[str, float]], new_names: list[str]
) -> None:
    # Elo processes an event's pairs in sorted-name order, so it is label-invariant only
    # under relabellings that preserve that order; map sorted old names to sorted new ones.
    mapping = dict(zip(sorted(AGENTS), sorted(new_names), strict=True))
    original = elo_ratings(events)
    relabelled = elo_ratings(_relabel(events, mapping))
    assert relabelled == pytest.approx(
        {mapping[agent]: value for agent, value in original.items()}, abs=1e-9
    )


@settings(max_examples=50, deadline=None)
@given(events=events_strategy, seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_bradley_terry_independent_of_event_order(
    events: list[dict[str, float]], seed: int
) -> None:
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    # Also reverse dict insertion order inside each event: that must not matter either.
    shuffled = [dict(reversed(list(event.items()))) for event in shuffled]
    assert bradley_terry_ratings(shuffled) == pytest.approx(bradley_terry_ratings(events), abs=1e-6)


# --- bootstrap -----------------------------------------------------------------------------

BOOTSTRAP_EVENTS: list[dict[str, float]] = (
    [{"a": 3.0, "b": 2.0, "c": 1.0}] * 6
    + [{"a": 1.0, "b": 3.0, "c": 2.0}] * 3
    + [{"a": 2.0, "b": 1.0, "c": 3.0}] * 2
    + [{"a": 2.0, "b": 2.0}] * 2
)


@pytest.mark.parametrize("method", ["elo", "bradley_terry"])
def test_bootstrap_reproducible_with_same_seed(method: Literal["elo", "bradley_terry"]) -> None:
    first = bootstrap_intervals(BOOTSTRAP_EVENTS, method, rounds=50, seed=7)
    second = bootstrap_intervals(BOOTSTRAP_EVENTS, method, rounds=50, seed=7)
    assert first == second
    other_seed = bootstrap_intervals(BOOTSTRAP_EVENTS, method, rounds=50, seed=8)
    assert other_seed != first


def test_bootstrap_interval_contains_point_estimate() -> None:
    intervals = bootstrap_intervals(BOOTSTRAP_EVENTS, "bradley_terry", rounds=200, seed=0)
    point = bradley_terry_ratings(BOOTSTRAP_EVENTS)
    assert set(intervals) == {"a", "b", "c"}
    for agent, interval in intervals.items():
        assert isinstance(interval, RatingInterval)
        assert interval.rating == pytest.approx(point[agent])
        assert interval.lower <= interval.rating <= interval.upper
        assert interval.lower < interval.upper


def test_bootstrap_passes_kwargs_and_validates() -> None:
    small_k = bootstrap_intervals(BOOTSTRAP_EVENTS, "elo", rounds=5, k=1.0)
    big_k = bootstrap_intervals(BOOTSTRAP_EVENTS, "elo", rounds=5, k=32.0)
    assert small_k["a"].rating != big_k["a"].rating
    with pytest.raises(ValueError, match="method"):
        bootstrap_intervals(BOOTSTRAP_EVENTS, "glicko")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_intervals(BOOTSTRAP_EVENTS, "elo", confidence=1.0)
    with pytest.raises(ValueError, match="rounds"):
        bootstrap_intervals(BOOTSTRAP_EVENTS, "elo", rounds=0)


def test_bootstrap_single_event_gives_degenerate_interval() -> None:
    # One event only: every resample is that same event, so there is no spread at all.
    single = bootstrap_intervals([{"a": 1.0, "b": 0.0}], "elo", rounds=3)
    assert single["a"].lower == single["a"].upper == single["a"].rating


# --- rank ----------------------------------------------------------------------------------


def test_rank_orders_best_first_with_name_tiebreak() -> None:
    assert rank({"b": 1.0, "a": 1.0, "c": 2.0}) == [("c", 2.0), ("a", 1.0), ("b", 1.0)]


def _naive_bootstrap(
    events: list[dict[str, float]], method: Literal["elo", "bradley_terry"], rounds: int, seed: int
) -> dict[str, list[float]]:
    """The bootstrap by its definition: refit the public function on each resample."""
    compute = elo_ratings if method == "elo" else bradley_terry_ratings
    rng = random.Random(seed)
    samples: dict[str, list[float]] = {a: [] for a in compute(events)}
    for _ in range(rounds):
        resample = [events[rng.randrange(len(events))] for _ in range(len(events))]
        for agent, value in compute(resample).items():
            samples[agent].append(value)
    return samples


@pytest.mark.parametrize("method", ["elo", "bradley_terry"])
@settings(max_examples=40, deadline=None)
@given(events=events_strategy, seed=st.integers(min_value=0, max_value=2**32))
def test_bootstrap_equals_refitting_each_resample(
    method: Literal["elo", "bradley_terry"], events: list[dict[str, float]], seed: int
) -> None:
    # The bootstrap fits all resamples at once (Bradley-Terry from the point estimate); the
    # intervals must be those of refitting the public functions on each resample, to 1e-6.
    rounds = 7
    samples = _naive_bootstrap(events, method, rounds, seed)
    point = elo_ratings(events) if method == "elo" else bradley_terry_ratings(events)
    intervals = bootstrap_intervals(events, method, rounds=rounds, seed=seed)
    assert set(intervals) == set(point)
    for agent, interval in intervals.items():
        assert interval.rating == point[agent]
        values = sorted(samples[agent])
        low = (1.0 - 0.95) / 2.0 * (len(values) - 1)
        lo, hi = math.floor(low), min(math.floor(low) + 1, len(values) - 1)
        expected = values[lo] + (values[hi] - values[lo]) * (low - lo)
        assert interval.lower == pytest.approx(expected, abs=1e-6)
