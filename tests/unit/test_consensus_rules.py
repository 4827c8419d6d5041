"""Tests for evalledger.verification.consensus_rules (pure: no database)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalledger.verification.consensus_rules import (
    CONSENSUS_RULES,
    ConsensusOutcome,
    FrameworkVerdict,
    confidence_weighted,
    decide,
    majority,
    unanimous,
)


def v(framework: str, valid: bool, confidence: float) -> FrameworkVerdict:
    return FrameworkVerdict(framework=framework, valid=valid, confidence=confidence)


# --- FrameworkVerdict validation -----------------------------------------------------------


@pytest.mark.parametrize("confidence", [-0.01, 1.01, math.nan, math.inf])
def test_invalid_confidence_rejected(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        v("f", True, confidence)


def test_confidence_bounds_accepted() -> None:
    assert v("f", True, 0.0).confidence == 0.0
    assert v("f", False, 1).confidence == 1


def test_invalid_framework_and_valid_rejected() -> None:
    with pytest.raises(ValueError, match="framework"):
        v("  ", True, 0.5)
    with pytest.raises(ValueError, match="valid"):
        FrameworkVerdict(framework="f", valid=1, confidence=0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="confidence"):
        FrameworkVerdict(framework="f", valid=True, confidence=True)


# --- majority ------------------------------------------------------------------------------


def test_majority_decides_by_vote_count_not_confidence() -> None:
    outcome = majority([v("a", True, 0.1), v("b", True, 0.2), v("c", False, 1.0)])
    assert isinstance(outcome, ConsensusOutcome)
    assert outcome.valid is True
    assert outcome.confidence == pytest.approx(2 / 3)
    assert outcome.consensus_type == "majority"
    assert outcome.participating_frameworks == ["a", "b", "c"]
    assert (outcome.votes_for, outcome.votes_against) == (2, 1)
    # Support is confidence-weighted: the two "valid" votes carry only 0.3 of 1.3.
    assert outcome.support == pytest.approx(0.3 / 1.3)


def test_majority_invalid_side_wins() -> None:
    outcome = majority([v("x", False, 0.9), v("y", False, 0.6), v("z", True, 0.5)])
    assert outcome.valid is False
    assert outcome.confidence == pytest.approx(2 / 3)
    assert outcome.support == pytest.approx(1.5 / 2.0)


def test_majority_tie_is_no_consensus() -> None:
    outcome = majority([v("a", True, 0.9), v("b", False, 0.1)])
    assert outcome.valid is None
    assert outcome.confidence == 0.5
    assert outcome.support == 0.0
    assert (outcome.votes_for, outcome.votes_against) == (1, 1)


# --- confidence_weighted -------------------------------------------------------------------


def test_confidence_weighted_one_sure_framework_outweighs_two_unsure() -> None:
    verdicts = [v("a", True, 0.2), v("b", True, 0.3), v("c", False, 0.9)]
    outcome = confidence_weighted(verdicts)
    assert outcome.valid is False
    assert outcome.confidence == pytest.approx(0.9 / 1.4)
    assert outcome.support == pytest.approx(0.9 / 1.4)
    assert outcome.consensus_type == "confidence_weighted"
    # Same verdicts, different rule, different answer: the rules really differ.
    assert majority(verdicts).valid is True


def test_confidence_weighted_tie_and_zero_weight() -> None:
    tie = confidence_weighted([v("a", True, 0.4), v("b", False, 0.4)])
    assert (tie.valid, tie.confidence, tie.support) == (None, 0.5, 0.0)
    # All-zero confidence is no evidence at all: no consensus even though nobody dissents.
    nothing = confidence_weighted([v("a", True, 0.0), v("b", True, 0.0)])
    assert nothing.valid is None


# --- unanimous -----------------------------------------------------------------------------


def test_unanimous_agreement_uses_mean_confidence() -> None:
    outcome = unanimous([v("a", True, 0.6), v("b", True, 0.8), v("c", True, 1.0)])
    assert outcome.valid is True
    assert outcome.confidence == pytest.approx(0.8)
    assert outcome.support == 1.0
    rejected = unanimous([v("a", False, 0.5), v("b", False, 0.7)])
    assert rejected.valid is False
    assert rejected.confidence == pytest.approx(0.6)


def test_unanimity_broken_by_one_dissent() -> None:
    verdicts = [v(f"f{i}", True, 0.99) for i in range(9)] + [v("dissent", False, 0.01)]
    outcome = unanimous(verdicts)
    assert outcome.valid is None
    assert outcome.confidence == 0.0
    assert (outcome.votes_for, outcome.votes_against) == (9, 1)
    # The other rules still decide on the same verdicts.
    assert majority(verdicts).valid is True
    assert confidence_weighted(verdicts).valid is True


# --- decide and shared validation ----------------------------------------------------------


def test_consensus_rules_names() -> None:
    assert CONSENSUS_RULES == ("majority", "confidence_weighted", "unanimous")


def test_decide_dispatches_by_name() -> None:
    verdicts = [v("a", True, 0.2), v("b", True, 0.3), v("c", False, 0.9)]
    assert decide("majority", verdicts) == majority(verdicts)
    assert decide("confidence_weighted", verdicts) == confidence_weighted(verdicts)
    assert decide("unanimous", verdicts) == unanimous(verdicts)


def test_decide_unknown_rule_lists_allowed() -> None:
    with pytest.raises(ValueError) as excinfo:
        decide("plurality", [v("a", True, 1.0)])
    message = str(excinfo.value)
    assert "'plurality'" in message
    for name in CONSENSUS_RULES:
        assert name in message


@pytest.mark.parametrize("rule", CONSENSUS_RULES)
def test_empty_verdicts_rejected(rule: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        decide(rule, [])


def test_duplicate_framework_rejected() -> None:
    with pytest.raises(ValueError, match="'a'"):
        majority([v("a", True, 0.5), v("a", True, 0.5)])


def test_accepts_any_iterable() -> None:
    outcome = majority(x for x in [v("b", True, 0.5), v("a", True, 0.5)])
    assert outcome.participating_frameworks == ["a", "b"]


# --- properties ----------------------------------------------------------------------------


def verdict_lists(
    confidence: st.SearchStrategy[float],
) -> st.SearchStrategy[list[FrameworkVerdict]]:
    return st.lists(
        st.builds(
            FrameworkVerdict,
            framework=st.text(alphabet="abcdefgh", min_size=1, max_size=3),
            valid=st.booleans(),
            confidence=confidence,
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda verdict: verdict.framework,
    )


any_confidence = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=50, deadline=None)
@given(verdicts=verdict_lists(any_confidence), data=st.data())
def test_verdict_order_does_not_change_outcome(
    verdicts: list[FrameworkVerdict], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(verdicts))
    for rule in CONSENSUS_RULES:
        assert decide(rule, shuffled) == decide(rule, verdicts)


@settings(max_examples=50, deadline=None)
@given(
    # Strictly positive confidence: with all-zero confidence the weighted rule (correctly)
    # has no evidence to decide on; that case is pinned in a concrete test above.
    verdicts=verdict_lists(st.floats(min_value=0.001, max_value=1.0, allow_nan=False)),
    decision=st.booleans(),
)
def test_when_all_verdicts_agree_all_rules_agree(
    verdicts: list[FrameworkVerdict], decision: bool
) -> None:
    agreeing = [FrameworkVerdict(x.framework, decision, x.confidence) for x in verdicts]
    outcomes = [decide(rule, agreeing) for rule in CONSENSUS_RULES]
    assert all(outcome.valid is decision for outcome in outcomes)
    assert all(outcome.support == pytest.approx(1.0) for outcome in outcomes)
    assert all(0.0 <= outcome.confidence <= 1.0 for outcome in outcomes)


@settings(max_examples=50, deadline=None)
@given(verdicts=verdict_lists(any_confidence))
def test_outcome_invariants(verdicts: list[FrameworkVerdict]) -> None:
    for rule in CONSENSUS_RULES:
        outcome = decide(rule, verdicts)
        assert outcome.consensus_type == rule
        assert outcome.votes_for + outcome.votes_against == len(verdicts)
        assert outcome.participating_frameworks == sorted(x.framework for x in verdicts)
        assert 0.0 <= outcome.confidence <= 1.0
        assert 0.0 <= outcome.support <= 1.0
