"""The progression rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.agents import progression as p


def test_level_curve() -> None:
    assert p.level_for_xp(0) == (1, 0)
    assert p.level_for_xp(99) == (1, 0)
    assert p.level_for_xp(100) == (2, 0)
    assert p.level_for_xp(400) == (3, 0)
    assert p.level_for_xp(100 * 49**2) == (50, 0)
    assert p.level_for_xp(100 * 50**2) == (1, 1)  # past max level: prestige


def test_custody_level() -> None:
    assert p.custody_level_for_xp(0) == 1
    assert p.custody_level_for_xp(50) == 2
    assert p.custody_level_for_xp(250) == 3


def test_default_xp() -> None:
    assert p.default_xp_award(True, 100, "legendary") == 100
    assert p.default_xp_award(True, 50, "expert") == 25
    assert p.default_xp_award(False, 100, "legendary") == 0


def test_difficulty_ladder_holds_at_ends() -> None:
    assert p.shift_difficulty("basic", -1) == "basic"
    assert p.shift_difficulty("legendary", 1) == "legendary"
    assert p.shift_difficulty("advanced", 1) == "expert"


def test_streaks_and_promotion() -> None:
    rules = p.ProgressionRules(promote_after=2, demote_after=2)
    s = p.CustodyState()
    for _ in range(4):
        s = p.apply_test(s, p.TestOutcome(passed=True, xp_awarded=1), rules)
    assert s.consecutive_successes == 4 and s.current_difficulty == "advanced"
    s = p.apply_test(s, p.TestOutcome(passed=False, xp_awarded=0), rules)
    assert (s.consecutive_successes, s.consecutive_failures) == (0, 1)
    assert s.current_difficulty == "advanced"
    s = p.apply_test(s, p.TestOutcome(passed=False, xp_awarded=0), rules)
    assert s.current_difficulty == "intermediate"


def test_last_test_date_keeps_the_latest() -> None:
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    s = p.apply_test(p.CustodyState(), p.TestOutcome(True, 1, tested_at=t0))
    s = p.apply_test(s, p.TestOutcome(True, 1, tested_at=t0 - timedelta(days=1)))
    assert s.last_test_date == t0


def test_rules_validate() -> None:
    with pytest.raises(ValueError, match="xp_per_level"):
        p.ProgressionRules(xp_per_level=0)
    with pytest.raises(ValueError, match="base_xp"):
        p.ProgressionRules(base_xp={"basic": 1})


def test_bounded_append_drops_oldest() -> None:
    assert p.bounded_append([1, 2, 3], [4, 5], 3) == [3, 4, 5]


def test_learning_rates() -> None:
    out = p.apply_learning(
        p.LearningState(learning_successes=1),
        p.LearningUpdate(successes=1, failures=2, learning_score_delta=1.5, patterns=["a"]),
        max_patterns=10,
        max_suggestions=10,
    )
    assert out["success_rate"] == pytest.approx(0.5) and out["failure_rate"] == pytest.approx(0.5)
    assert out["total_learning_cycles"] == 1 and out["learning_patterns"] == ["a"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 500)), max_size=60))
def test_counters_add_up_for_any_sequence(results: list[tuple[bool, int]]) -> None:
    state = p.apply_tests(p.CustodyState(), [p.TestOutcome(ok, xp) for ok, xp in results])
    passed = sum(ok for ok, _ in results)
    assert state.total_tests_given == len(results)
    assert state.total_tests_passed == passed
    assert state.total_tests_given == state.total_tests_passed + state.total_tests_failed
    assert state.xp == state.custody_xp == sum(xp for _, xp in results)
    # The streak is the length of the trailing run of equal outcomes.
    if results:
        last = results[-1][0]
        run = 0
        for ok, _ in reversed(results):
            if ok != last:
                break
            run += 1
        assert (state.consecutive_successes if last else state.consecutive_failures) == run
    assert state.current_difficulty in p.DIFFICULTY_LADDER
    derived = state.derived()
    assert 0.0 <= derived["pass_rate"] <= 1.0
    assert derived["level"] >= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_level_is_monotonic_in_xp(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    (l1, p1), (l2, p2) = p.level_for_xp(lo), p.level_for_xp(hi)
    assert (p1, l1) <= (p2, l2)


# -- more properties (issue 8): any input, the rules keep their invariants ---------------

outcomes = st.lists(st.tuples(st.booleans(), st.integers(0, 1000)), max_size=40)


@given(outcomes, outcomes)
def test_applying_in_batches_equals_applying_one_by_one(
    first: list[tuple[bool, int]], second: list[tuple[bool, int]]
) -> None:
    a = [p.TestOutcome(ok, xp) for ok, xp in first]
    b = [p.TestOutcome(ok, xp) for ok, xp in second]
    whole = p.apply_tests(p.CustodyState(), [*a, *b])
    assert p.apply_tests(p.apply_tests(p.CustodyState(), a), b) == whole


@given(outcomes)
def test_difficulty_stays_on_the_ladder_and_rates_in_range(results: list[tuple[bool, int]]) -> None:
    state = p.apply_tests(p.CustodyState(), [p.TestOutcome(ok, xp) for ok, xp in results])
    assert state.current_difficulty in p.DIFFICULTY_LADDER
    rate = p.pass_rate(state.total_tests_passed, state.total_tests_given)
    assert 0.0 <= rate <= 1.0
    level, prestige = p.level_for_xp(state.xp)
    assert level >= 1 and prestige >= 0
    assert p.custody_level_for_xp(state.custody_xp) >= 1


@given(
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.sampled_from([*p.DIFFICULTY_LADDER, "unknown"]),
)
def test_default_award_is_bounded(passed: bool, score: float, difficulty: str) -> None:
    award = p.default_xp_award(passed, score, difficulty)
    assert 0 <= award <= max(p.DEFAULT_RULES.base_xp.values())
    if not passed:
        assert award == 0


@given(st.lists(st.integers()), st.lists(st.integers()), st.integers(0, 50))
def test_bounded_append_keeps_the_newest(old: list[int], new: list[int], limit: int) -> None:
    kept = p.bounded_append(old, new, limit)
    assert len(kept) == min(limit, len(old) + len(new))
    assert kept == [*old, *new][len(old) + len(new) - len(kept) :]


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.floats(-1e6, 1e6),
)
def test_learning_rates_sum_to_one(s0: int, f0: int, ds: int, df: int, delta: float) -> None:
    state = p.LearningState(learning_successes=s0, learning_failures=f0)
    out = p.apply_learning(
        state,
        p.LearningUpdate(learning_score_delta=delta, successes=ds, failures=df),
        max_patterns=10,
        max_suggestions=10,
    )
    assert out["learning_successes"] == s0 + ds and out["learning_failures"] == f0 + df
    if s0 + ds + f0 + df:
        assert abs(out["success_rate"] + out["failure_rate"] - 1.0) < 1e-9
    else:
        assert out["success_rate"] == out["failure_rate"] == 0.0


_instants = st.one_of(
    st.none(),
    st.integers(0, 10**6).map(lambda s: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 1000), st.floats(0, 1000), _instants),
        max_size=60,
    ),
    st.sampled_from([*p.DIFFICULTY_LADDER, "unknown"]),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_fold_tests_equals_apply_tests(
    results: list[tuple[bool, int, float, datetime | None]],
    difficulty: str,
    successes: int,
    failures: int,
    promote: int,
    demote: int,
) -> None:
    """The batch path's fast fold is the one-by-one rules, from any starting state."""
    rules = p.ProgressionRules(promote_after=promote, demote_after=demote)
    start = p.CustodyState(
        total_tests_given=7,
        total_tests_passed=4,
        total_tests_failed=3,
        consecutive_successes=successes,
        consecutive_failures=failures,
        xp=120,
        custody_xp=80,
        learning_score=0.5,
        current_difficulty=difficulty,
        last_test_date=datetime(2026, 1, 5, tzinfo=UTC),
    )
    outcomes = [p.TestOutcome(ok, xp, ls, at) for ok, xp, ls, at in results]
    assert p.fold_tests(start, results, rules) == p.apply_tests(start, outcomes, rules)
