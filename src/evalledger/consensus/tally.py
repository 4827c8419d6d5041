"""The consensus group's one rule: count node votes against a quorum (pure: no I/O).

This is the proposals-and-votes consensus of this package. The consensus *of verification
verdicts* (combining frameworks' judgements of a claim: majority, confidence_weighted,
unanimous) is a different thing and lives in :mod:`evalledger.verification.consensus_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TallyResult", "tally_votes"]


@dataclass(frozen=True, slots=True)
class TallyResult:
    """Result of counting node votes.

    * ``counts``: votes per choice (choices in sorted order).
    * ``winner``: the choice with strictly the most votes, ``None`` on a tie or no votes.
    * ``quorum_reached``: total votes >= quorum.
    * ``decided``: quorum reached *and* there is a winner - the only state to act on.
    """

    counts: dict[str, int]
    winner: str | None
    quorum_reached: bool
    decided: bool


def tally_votes(votes: Iterable[tuple[str, str]], quorum: int) -> TallyResult:
    """Count ``(node_id, choice)`` votes from consensus nodes against a quorum.

    Each node may vote at most once; a second vote from the same node raises ``ValueError``
    naming it, because silently keeping either vote would let a faulty or malicious node
    decide which of its votes counts. Quorum and winner are reported separately so callers
    can tell "not enough nodes yet" from "enough nodes, but split".
    """
    if isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1:
        raise ValueError(f"quorum must be a positive integer, got {quorum!r}")
    voted: set[str] = set()
    counts: dict[str, int] = {}
    for node_id, choice in votes:
        if node_id in voted:
            raise ValueError(f"duplicate vote from node {node_id!r}")
        voted.add(node_id)
        counts[choice] = counts.get(choice, 0) + 1
    ordered = dict(sorted(counts.items()))
    winner: str | None = None
    if ordered:
        top = max(ordered.values())
        leaders = [choice for choice, count in ordered.items() if count == top]
        if len(leaders) == 1:
            winner = leaders[0]
    quorum_reached = len(voted) >= quorum
    return TallyResult(
        counts=ordered,
        winner=winner,
        quorum_reached=quorum_reached,
        decided=quorum_reached and winner is not None,
    )
