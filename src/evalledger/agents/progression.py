"""Progression rules: how recorded results move an agent's derived metrics.

Pure functions over plain values, no database: the service applies them under a row lock,
the batch path folds them over a batch's ordered results, and ``verify`` recomputes them from
the results table. Every number here is a field of :class:`ProgressionRules`, so a team can
tune the curve without touching code (the defaults are listed in the README).

The rules, with the defaults:

* **XP**: each result adds its ``xp_awarded`` to ``xp`` and to ``custody_xp``. When a client
  sends no ``xp_awarded``, a passed test earns ``base_xp[difficulty] * score / 100`` (rounded
  half to even) and a failed test earns 0.
* **Level**: reaching level ``n`` takes ``xp_per_level * (n - 1) ** 2`` XP (100, 400, 900, ...).
  Past ``max_level`` (50) the level wraps to 1 and ``prestige`` goes up by one.
* **Custody level**: ``1 + isqrt(custody_xp // custody_xp_per_level)`` (50 XP per step).
* **Streaks**: a pass adds one to ``consecutive_successes`` and zeroes ``consecutive_failures``;
  a failure does the reverse.
* **Adaptive difficulty**: every ``promote_after`` (3) consecutive passes moves one step up
  the ladder basic, intermediate, advanced, expert, master, legendary; every ``demote_after``
  (2) consecutive failures moves one step down. The ends of the ladder hold.
* **Pass rate**: passed / given, a fraction in 0..1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

DIFFICULTY_LADDER: tuple[str, ...] = (
    "basic",
    "intermediate",
    "advanced",
    "expert",
    "master",
    "legendary",
)

_DEFAULT_BASE_XP: Mapping[str, int] = MappingProxyType(
    {
        "basic": 10,
        "intermediate": 20,
        "advanced": 35,
        "expert": 50,
        "master": 75,
        "legendary": 100,
    }
)


@dataclass(frozen=True)
class ProgressionRules:
    """The tunable constants of progression. See the module docstring for their meaning."""

    xp_per_level: int = 100
    max_level: int = 50
    custody_xp_per_level: int = 50
    promote_after: int = 3
    demote_after: int = 2
    base_xp: Mapping[str, int] = field(default_factory=lambda: _DEFAULT_BASE_XP)

    def __post_init__(self) -> None:
        for name in ("xp_per_level", "max_level", "custody_xp_per_level"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("promote_after", "demote_after"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        missing = set(DIFFICULTY_LADDER) - set(self.base_xp)
        if missing:
            raise ValueError(f"base_xp lacks difficulties: {sorted(missing)}")


DEFAULT_RULES = ProgressionRules()


@dataclass(frozen=True)
class CustodyState:
    """The part of an agent's metrics that recorded results drive."""

    total_tests_given: int = 0
    total_tests_passed: int = 0
    total_tests_failed: int = 0
    consecutive_successes: int = 0
    consecutive_failures: int = 0
    xp: int = 0
    custody_xp: int = 0
    learning_score: float = 0.0
    current_difficulty: str = "basic"
    last_test_date: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> CustodyState:
        """Build from a mapping that has (at least) these field names."""
        return cls(**{f: row[f] for f in cls.__dataclass_fields__})

    def derived(self, rules: ProgressionRules = DEFAULT_RULES) -> dict[str, Any]:
        """All stored columns: the state plus level, prestige, custody level and pass rate."""
        level, prestige = level_for_xp(self.xp, rules)
        return {
            "total_tests_given": self.total_tests_given,
            "total_tests_passed": self.total_tests_passed,
            "total_tests_failed": self.total_tests_failed,
            "consecutive_successes": self.consecutive_successes,
            "consecutive_failures": self.consecutive_failures,
            "xp": self.xp,
            "custody_xp": self.custody_xp,
            "learning_score": self.learning_score,
            "current_difficulty": self.current_difficulty,
            "last_test_date": self.last_test_date,
            "level": level,
            "prestige": prestige,
            "custody_level": custody_level_for_xp(self.custody_xp, rules),
            "pass_rate": pass_rate(self.total_tests_passed, self.total_tests_given),
        }


@dataclass(frozen=True)
class TestOutcome:
    """What one recorded result contributes."""

    passed: bool
    xp_awarded: int
    learning_score_awarded: float = 0.0
    tested_at: datetime | None = None


def level_for_xp(xp: int, rules: ProgressionRules = DEFAULT_RULES) -> tuple[int, int]:
    """``(level, prestige)`` for a total XP. Level ``n`` needs ``xp_per_level*(n-1)**2`` XP."""
    if xp < 0:
        raise ValueError("xp cannot be negative")
    steps = math.isqrt(xp // rules.xp_per_level)  # levels gained above 1
    prestige, within = divmod(steps, rules.max_level)
    return within + 1, prestige


def custody_level_for_xp(custody_xp: int, rules: ProgressionRules = DEFAULT_RULES) -> int:
    if custody_xp < 0:
        raise ValueError("custody_xp cannot be negative")
    return 1 + math.isqrt(custody_xp // rules.custody_xp_per_level)


def pass_rate(passed: int, given: int) -> float:
    return passed / given if given else 0.0


def default_xp_award(
    passed: bool, score: float, difficulty: str, rules: ProgressionRules = DEFAULT_RULES
) -> int:
    """XP for a result whose client named none: a share of the difficulty's base by score."""
    if not passed:
        return 0
    base = rules.base_xp.get(difficulty, rules.base_xp["basic"])
    return round(base * max(0.0, min(score, 100.0)) / 100.0)


def shift_difficulty(current: str, steps: int) -> str:
    """Move ``steps`` along the ladder (negative: down), holding at either end."""
    index = DIFFICULTY_LADDER.index(current) if current in DIFFICULTY_LADDER else 0
    return DIFFICULTY_LADDER[max(0, min(len(DIFFICULTY_LADDER) - 1, index + steps))]


def apply_test(
    state: CustodyState, outcome: TestOutcome, rules: ProgressionRules = DEFAULT_RULES
) -> CustodyState:
    """The state after one more result."""
    if outcome.xp_awarded < 0:
        raise ValueError("xp_awarded cannot be negative")
    if outcome.passed:
        successes, failures = state.consecutive_successes + 1, 0
        step = 1 if successes % rules.promote_after == 0 else 0
    else:
        successes, failures = 0, state.consecutive_failures + 1
        step = -1 if failures % rules.demote_after == 0 else 0
    last = state.last_test_date
    if outcome.tested_at is not None and (last is None or outcome.tested_at > last):
        last = outcome.tested_at
    return replace(
        state,
        total_tests_given=state.total_tests_given + 1,
        total_tests_passed=state.total_tests_passed + int(outcome.passed),
        total_tests_failed=state.total_tests_failed + int(not outcome.passed),
        consecutive_successes=successes,
        consecutive_failures=failures,
        xp=state.xp + outcome.xp_awarded,
        custody_xp=state.custody_xp + outcome.xp_awarded,
        learning_score=state.learning_score + outcome.learning_score_awarded,
        current_difficulty=shift_difficulty(state.current_difficulty, step),
        last_test_date=last,
    )


def apply_tests(
    state: CustodyState, outcomes: Iterable[TestOutcome], rules: ProgressionRules = DEFAULT_RULES
) -> CustodyState:
    """Fold :func:`apply_test` over results in the order they were recorded."""
    for outcome in outcomes:
        state = apply_test(state, outcome, rules)
    return state


def fold_tests(
    state: CustodyState,
    outcomes: Iterable[tuple[bool, int, float, datetime | None]],
    rules: ProgressionRules = DEFAULT_RULES,
) -> CustodyState:
    """:func:`apply_tests` over plain ``(passed, xp_awarded, learning_score_awarded,
    tested_at)`` tuples, in one pass over local variables: the batch path folds thousands of
    results, and a new state object per result was most of its rules time. Same result as
    :func:`apply_tests` (a test checks the two against each other)."""
    ladder = DIFFICULTY_LADDER
    top = len(ladder) - 1
    index = ladder.index(state.current_difficulty) if state.current_difficulty in ladder else 0
    promote, demote = rules.promote_after, rules.demote_after
    given = passed_count = failed_count = 0
    successes, failures = state.consecutive_successes, state.consecutive_failures
    xp, custody_xp, learning = state.xp, state.custody_xp, state.learning_score
    last = state.last_test_date
    for passed, xp_awarded, learning_awarded, tested_at in outcomes:
        if xp_awarded < 0:
            raise ValueError("xp_awarded cannot be negative")
        given += 1
        if passed:
            passed_count += 1
            successes, failures = successes + 1, 0
            if successes % promote == 0 and index < top:
                index += 1
        else:
            failed_count += 1
            successes, failures = 0, failures + 1
            if failures % demote == 0 and index > 0:
                index -= 1
        xp += xp_awarded
        custody_xp += xp_awarded
        learning += learning_awarded
        if tested_at is not None and (last is None or tested_at > last):
            last = tested_at
    if not given:
        return state
    return replace(
        state,
        total_tests_given=state.total_tests_given + given,
        total_tests_passed=state.total_tests_passed + passed_count,
        total_tests_failed=state.total_tests_failed + failed_count,
        consecutive_successes=successes,
        consecutive_failures=failures,
        xp=xp,
        custody_xp=custody_xp,
        learning_score=learning,
        current_difficulty=ladder[index],
        last_test_date=last,
    )


@dataclass(frozen=True)
class LearningState:
    total_learning_cycles: int = 0
    learning_score: float = 0.0
    learning_successes: int = 0
    learning_failures: int = 0
    learning_patterns: Sequence[Any] = ()
    improvement_suggestions: Sequence[Any] = ()

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> LearningState:
        return cls(**{f: row[f] for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class LearningUpdate:
    learning_score_delta: float = 0.0
    successes: int = 0
    failures: int = 0
    patterns: Sequence[Any] = ()
    suggestions: Sequence[Any] = ()


def bounded_append(items: Sequence[Any], new: Sequence[Any], limit: int) -> list[Any]:
    """Append ``new`` and keep the newest ``limit`` items (the oldest are dropped)."""
    combined = [*items, *new]
    return combined[-limit:] if limit > 0 else []


def apply_learning(
    state: LearningState,
    update: LearningUpdate,
    *,
    max_patterns: int,
    max_suggestions: int,
) -> dict[str, Any]:
    """Stored columns after one learning cycle: counters, rates and the bounded lists."""
    if update.successes < 0 or update.failures < 0:
        raise ValueError("successes and failures cannot be negative")
    successes = state.learning_successes + update.successes
    failures = state.learning_failures + update.failures
    attempts = successes + failures
    return {
        "total_learning_cycles": state.total_learning_cycles + 1,
        "learning_score": state.learning_score + update.learning_score_delta,
        "learning_successes": successes,
        "learning_failures": failures,
        "success_rate": successes / attempts if attempts else 0.0,
        "failure_rate": failures / attempts if attempts else 0.0,
        "learning_patterns": bounded_append(
            list(state.learning_patterns), list(update.patterns), max_patterns
        ),
        "improvement_suggestions": bounded_append(
            list(state.improvement_suggestions), list(update.suggestions), max_suggestions
        ),
    }
