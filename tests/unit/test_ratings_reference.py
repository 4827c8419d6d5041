"""The numpy ratings against the reference loops they replaced (tests/support/ratings_reference).

The leaderboard's numbers must not change with the implementation: Elo, Bradley-Terry and
their bootstrap intervals are compared with the reference on random events (with ties,
events of one agent, agents who never meet, a long chain, an agent sweeping the board) to
1e-6 rating points, and the bootstrap must draw the very resamples the reference drew.
"""

from __future__ import annotations

import random
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.stats import ratings
from evalledger.stats.rating_events import bootstrap_draws
from tests.support import ratings_reference as reference

Events = list[dict[str, float]]
TOLERANCE = 1e-6


def random_events(
    rng: random.Random, events: int, agents: int, *, most: int = 5, levels: int = 4
) -> Events:
    """Events of 1..most agents with scores from few levels, so ties are common."""
    names = [f"agent-{i:02d}" for i in range(agents)]
    return [
        {
            a: float(rng.randrange(levels))
            for a in rng.sample(names, rng.randint(1, min(most, agents)))
        }
        for _ in range(events)
    ]


def two_groups(rng: random.Random) -> Events:
    """Two groups of agents that never meet: their ratings are centred separately."""
    left = random_events(rng, 40, 5)
    right = [{f"x{name}": score for name, score in e.items()} for e in random_events(rng, 30, 4)]
    mixed = left + right
    rng.shuffle(mixed)
    return mixed


def chain(length: int) -> Events:
    """Agents that only meet their neighbours: the reference's slowest case."""
    return [
        {f"c{i:03d}": float(i % 3), f"c{i + 1:03d}": float((i * 7) % 3)}
        for i in range(length - 1)
        for _ in range(2)
    ]


def sweep() -> Events:
    """One agent beats everyone every time; the others split their games."""
    rng = random.Random(3)
    return [{"top": 10.0, **{f"o{i}": float(rng.randrange(3)) for i in range(3)}}] * 60


CASES: dict[str, Events] = {
    "random": random_events(random.Random(1), 300, 12),
    "many agents, few events": random_events(random.Random(2), 60, 40, most=3),
    "two groups": two_groups(random.Random(4)),
    "chain": chain(25),
    "sweep": sweep(),
    "only ties": [{"a": 1.0, "b": 1.0, "c": 1.0}] * 5,
    "with a lone agent": [{"solo": 3.0}, {"a": 1.0, "b": 0.0}, {"b": 2.0, "c": 2.0}],
}


def assert_close(actual: dict[str, float], expected: dict[str, float]) -> None:
    assert set(actual) == set(expected)
    worst = max((abs(actual[a] - expected[a]) for a in expected), default=0.0)
    assert worst <= TOLERANCE, worst


@pytest.mark.parametrize("case", sorted(CASES))
def test_elo_equals_the_reference(case: str) -> None:
    events = CASES[case]
    assert_close(ratings.elo_ratings(events), reference.elo_ratings(events))
    assert_close(ratings.elo_ratings(events, k=32.0), reference.elo_ratings(events, k=32.0))


@pytest.mark.parametrize("case", sorted(CASES))
def test_bradley_terry_equals_the_reference(case: str) -> None:
    events = CASES[case]
    assert_close(ratings.bradley_terry_ratings(events), reference.bradley_terry_ratings(events))


@pytest.mark.parametrize("method", ["elo", "bradley_terry"])
@pytest.mark.parametrize("case", ["random", "two groups", "sweep", "with a lone agent"])
def test_bootstrap_intervals_equal_the_reference(
    case: str, method: Literal["elo", "bradley_terry"]
) -> None:
    events = CASES[case]
    new = ratings.bootstrap_intervals(events, method, rounds=30, seed=11)
    old = reference.bootstrap_intervals(events, method, rounds=30, seed=11)
    assert set(new) == set(old)
    for agent, interval in old.items():
        got = new[agent]
        assert got.rating == pytest.approx(interval.rating, abs=TOLERANCE)
        assert got.lower == pytest.approx(interval.lower, abs=TOLERANCE)
        assert got.upper == pytest.approx(interval.upper, abs=TOLERANCE)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**40),
    events=st.integers(min_value=1, max_value=40),
    agents=st.integers(min_value=2, max_value=8),
)
def test_random_boards_equal_the_reference(seed: int, events: int, agents: int) -> None:
    data = random_events(random.Random(seed), events, agents)
    assert_close(ratings.elo_ratings(data), reference.elo_ratings(data))
    assert_close(ratings.bradley_terry_ratings(data), reference.bradley_terry_ratings(data))
    for method in ("elo", "bradley_terry"):
        new = ratings.bootstrap_intervals(data, method, rounds=5, seed=seed)
        old = reference.bootstrap_intervals(data, method, rounds=5, seed=seed)
        assert_close({a: i.lower for a, i in new.items()}, {a: i.lower for a, i in old.items()})
        assert_close({a: i.upper for a, i in new.items()}, {a: i.upper for a, i in old.items()})


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 1000, 2000, 4097])
def test_bootstrap_draws_are_the_reference_resamples(n: int) -> None:
    rng = random.Random(42)
    expected = [[rng.randrange(n) for _ in range(n)] for _ in range(5)]
    assert bootstrap_draws(n, 5, 42).tolist() == expected
    assert bootstrap_draws(n, 5, 42).shape == np.array(expected).shape
