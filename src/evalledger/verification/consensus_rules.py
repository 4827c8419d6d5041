"""Consensus rules for combining verification verdicts.

Several independent verification frameworks may each judge whether a recorded result is
valid, each with a confidence. How those verdicts become one decision is a policy choice,
so the policies are named, small, pure functions (no I/O, stdlib only) that the service
layer picks by name and stores alongside the outcome (``consensus_type``), which keeps a
decision reproducible and auditable from the stored verdicts alone.

Every rule returns ``valid=None`` rather than guessing when the evidence does not pick a
side: "no consensus" is a legitimate, recordable state and must not be confused with
"invalid".

Sums of confidences use :func:`math.fsum` (exactly rounded), so the outcome is bit-for-bit
identical for any ordering of the same verdicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CONSENSUS_RULES",
    "ConsensusOutcome",
    "FrameworkVerdict",
    "confidence_weighted",
    "decide",
    "majority",
    "unanimous",
]


@dataclass(frozen=True, slots=True)
class FrameworkVerdict:
    """One framework's vote: is the result valid, and how sure is the framework (0..1)."""

    framework: str
    valid: bool
    confidence: float

    def __post_init__(self) -> None:
        # Validated here, at construction, so no rule ever has to cope with a bad vote.
        if not isinstance(self.framework, str) or not self.framework.strip():
            raise ValueError(f"framework must be a non-empty string, got {self.framework!r}")
        if not isinstance(self.valid, bool):
            raise ValueError(f"valid must be a bool, got {self.valid!r}")
        confidence: object = self.confidence
        if (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0.0 <= confidence <= 1.0  # also rejects NaN
        ):
            raise ValueError(f"confidence must be a number in [0, 1], got {confidence!r}")


@dataclass(frozen=True, slots=True)
class ConsensusOutcome:
    """The combined decision and how it was reached.

    * ``valid``: the decision, or ``None`` when the rule reached no consensus.
    * ``confidence``: the rule's confidence in [0, 1] (its meaning is per rule, see each).
    * ``consensus_type``: the name of the rule that produced this outcome.
    * ``participating_frameworks``: sorted names of the frameworks that voted.
    * ``votes_for`` / ``votes_against``: counts of ``valid=True`` / ``valid=False`` verdicts.
    * ``support``: confidence-weighted share of the verdicts that back the decision, i.e.
      (sum of confidences on the decided side) / (sum of all confidences); 0.0 when there
      is no decision or when every confidence is 0 (no weight to share).
    """

    valid: bool | None
    confidence: float
    consensus_type: str
    participating_frameworks: list[str]
    votes_for: int
    votes_against: int
    support: float


@dataclass(frozen=True, slots=True)
class _Summary:
    frameworks: list[str]
    votes_for: int
    votes_against: int
    weight_for: float
    weight_against: float
    mean_confidence: float


def _summarise(verdicts: Iterable[FrameworkVerdict]) -> _Summary:
    items: Sequence[FrameworkVerdict] = list(verdicts)
    if not items:
        raise ValueError("verdicts must not be empty: there is nothing to reach consensus on")
    seen: set[str] = set()
    for verdict in items:
        # One framework, one vote: a duplicate would silently double its weight.
        if verdict.framework in seen:
            raise ValueError(f"duplicate verdict from framework {verdict.framework!r}")
        seen.add(verdict.framework)
    in_favour = [v.confidence for v in items if v.valid]
    against = [v.confidence for v in items if not v.valid]
    return _Summary(
        frameworks=sorted(seen),
        votes_for=len(in_favour),
        votes_against=len(against),
        weight_for=math.fsum(in_favour),
        weight_against=math.fsum(against),
        mean_confidence=math.fsum(v.confidence for v in items) / len(items),
    )


def _outcome(
    rule: str, summary: _Summary, valid: bool | None, confidence: float
) -> ConsensusOutcome:
    total_weight = summary.weight_for + summary.weight_against
    if valid is None or total_weight == 0.0:
        support = 0.0
    else:
        support = (summary.weight_for if valid else summary.weight_against) / total_weight
    return ConsensusOutcome(
        valid=valid,
        confidence=confidence,
        consensus_type=rule,
        participating_frameworks=summary.frameworks,
        votes_for=summary.votes_for,
        votes_against=summary.votes_against,
        support=support,
    )


def majority(verdicts: Iterable[FrameworkVerdict]) -> ConsensusOutcome:
    """Simple majority of votes, ignoring confidence.

    The side with strictly more votes wins; ``confidence`` is that side's share of the votes.
    An even split is no consensus, with ``confidence`` 0.5 (the share either side holds).
    Use this when frameworks' self-reported confidences are not comparable.
    """
    summary = _summarise(verdicts)
    total = summary.votes_for + summary.votes_against
    if summary.votes_for == summary.votes_against:
        return _outcome("majority", summary, None, 0.5)
    decision = summary.votes_for > summary.votes_against
    winning = summary.votes_for if decision else summary.votes_against
    return _outcome("majority", summary, decision, winning / total)


def confidence_weighted(verdicts: Iterable[FrameworkVerdict]) -> ConsensusOutcome:
    """Weigh each vote by its confidence; the heavier side wins.

    ``confidence`` is heavier / total weight. Equal weights (including all-zero
    confidences, i.e. no evidence at all) are no consensus with ``confidence`` 0.5. This lets
    one very sure framework outvote several unsure ones, which is the point of the rule.
    """
    summary = _summarise(verdicts)
    weight_for, weight_against = summary.weight_for, summary.weight_against
    if weight_for == weight_against:
        return _outcome("confidence_weighted", summary, None, 0.5)
    decision = weight_for > weight_against
    heavier = weight_for if decision else weight_against
    return _outcome(
        "confidence_weighted", summary, decision, heavier / (weight_for + weight_against)
    )


def unanimous(verdicts: Iterable[FrameworkVerdict]) -> ConsensusOutcome:
    """Decide only if every framework agrees; a single dissent means no consensus.

    On agreement ``confidence`` is the mean confidence of the verdicts (everyone backs the
    decision, so how sure they are on average is the natural strength); otherwise the
    decision is ``None`` with ``confidence`` 0. The strictest rule, for high-stakes results.
    """
    summary = _summarise(verdicts)
    if summary.votes_against == 0:
        return _outcome("unanimous", summary, True, summary.mean_confidence)
    if summary.votes_for == 0:
        return _outcome("unanimous", summary, False, summary.mean_confidence)
    return _outcome("unanimous", summary, None, 0.0)


_RULES: dict[str, Callable[[Iterable[FrameworkVerdict]], ConsensusOutcome]] = {
    "majority": majority,
    "confidence_weighted": confidence_weighted,
    "unanimous": unanimous,
}

CONSENSUS_RULES: tuple[str, ...] = tuple(_RULES)
"""Names accepted by :func:`decide`, in documentation order."""


def decide(rule: str, verdicts: Iterable[FrameworkVerdict]) -> ConsensusOutcome:
    """Apply the consensus rule called ``rule`` (one of :data:`CONSENSUS_RULES`).

    Dispatch by name exists because the rule is configuration (stored per project or per
    request), not code. Raises ``ValueError`` for an unknown rule, listing the allowed ones,
    and for empty or duplicate verdicts.
    """
    try:
        apply = _RULES[rule]
    except KeyError:
        allowed = ", ".join(CONSENSUS_RULES)
        raise ValueError(f"unknown consensus rule {rule!r}; allowed rules: {allowed}") from None
    return apply(verdicts)
