"""Holm's step-down correction for testing several scorers (or model pairs) at once.

Gating on three scorers at alpha = 0.05 each would flag a noise-only candidate about 14% of
the time; Holm (1979) keeps the chance of any false flag at alpha without assuming the tests
are independent, and rejects at least as much as Bonferroni.
"""

from __future__ import annotations

from collections.abc import Sequence


def check_alpha(alpha: float) -> None:
    """A significance level must be strictly between 0 and 1 (ValueError naming ``alpha``)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def holm_adjust(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: reject where adjusted <= alpha.

    The i-th smallest of m p-values is multiplied by (m - i + 1) (i from 1), made
    non-decreasing along that order, and capped at 1, so an adjusted p-value is never below
    its unadjusted one and a test rejected by Holm is rejected unadjusted too.
    """
    for p in p_values:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p-values must be in [0, 1], got {p!r}")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
