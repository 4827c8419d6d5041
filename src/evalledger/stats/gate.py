"""The regression gate: may a CI job accept this candidate? (pure function, no database)

A scorer regressed when its Holm-adjusted p-value is at most ``alpha`` and the candidate's
mean is lower than the base's by more than ``min_effect``; improved likewise the other way;
otherwise unchanged (no evidence either way, or a change too small to matter). The gate
passes when no gated scorer regressed. Holm's correction runs across the gated scorers only,
so gating on one scorer is the plain paired test; the result says which correction it used.

Higher scores are taken to be better, as for pass rates and Inspect's scorers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from evalledger.stats.compare import Comparison
from evalledger.stats.jsonable import AsDict
from evalledger.stats.multiple import check_alpha, holm_adjust

Verdict = Literal["improved", "regressed", "unchanged"]


@dataclass(frozen=True)
class ScorerVerdict:
    """One gated scorer: its difference, raw and Holm-adjusted p-values, and the verdict."""

    scorer: str
    difference: float | None
    p_value: float
    adjusted_p_value: float
    verdict: Verdict
    regressed_samples: int


@dataclass(frozen=True)
class GateResult(AsDict):
    """The gate's answer. ``passed`` is False when a scorer regressed or the gate refused.

    ``refused`` is set (with ``reason``) when the runs' dataset hashes differ and
    ``allow_dataset_change`` was not given: comparing different questions proves nothing.
    """

    passed: bool
    refused: bool
    reason: str | None
    alpha: float
    min_effect: float
    correction: Literal["holm"]
    dataset_changed: bool
    scorers: tuple[ScorerVerdict, ...]
    regressed: tuple[str, ...]
    improved: tuple[str, ...]


def _verdict(difference: float | None, adjusted: float, alpha: float, min_effect: float) -> Verdict:
    if difference is None or adjusted > alpha:
        return "unchanged"
    if difference < -min_effect:
        return "regressed"
    if difference > min_effect:
        return "improved"
    return "unchanged"


def gate(
    comparison: Comparison,
    alpha: float = 0.05,
    min_effect: float = 0.0,
    scorers: Sequence[str] | None = None,
    allow_dataset_change: bool = False,
) -> GateResult:
    """Decide whether ``comparison``'s candidate regressed on any gated scorer.

    ``scorers``: which to gate on (default: every compared scorer); one not in the
    comparison is refused with a ValueError naming it.
    """
    check_alpha(alpha)
    if min_effect < 0.0:
        raise ValueError(f"min_effect must be >= 0, got {min_effect!r}")
    entries = (
        list(comparison.scorers)
        if scorers is None
        else [comparison.scorer(name) for name in dict.fromkeys(scorers)]
    )
    adjusted = holm_adjust([entry.test.p_value for entry in entries])
    verdicts = tuple(
        ScorerVerdict(
            scorer=entry.scorer,
            difference=entry.difference.estimate,
            p_value=entry.test.p_value,
            adjusted_p_value=adjusted_p,
            verdict=_verdict(entry.difference.estimate, adjusted_p, alpha, min_effect),
            regressed_samples=entry.counts.regressed,
        )
        for entry, adjusted_p in zip(entries, adjusted, strict=True)
    )
    regressed = tuple(v.scorer for v in verdicts if v.verdict == "regressed")
    improved = tuple(v.scorer for v in verdicts if v.verdict == "improved")
    refused = comparison.dataset_changed and not allow_dataset_change
    reason = (
        f"the runs' dataset hashes differ ({comparison.base_dataset_hash} vs "
        f"{comparison.candidate_dataset_hash}); allow a dataset change to gate anyway"
        if refused
        else None
    )
    return GateResult(
        passed=not refused and not regressed,
        refused=refused,
        reason=reason,
        alpha=alpha,
        min_effect=min_effect,
        correction="holm",
        dataset_changed=comparison.dataset_changed,
        scorers=verdicts,
        regressed=regressed,
        improved=improved,
    )
