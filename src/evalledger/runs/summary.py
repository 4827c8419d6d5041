"""A scorer's statistics over one run: pure functions of per-sample aggregates (no database).

Epochs of one sample are not independent draws: the unit is the sample. The mean is the mean
of the per-sample means (with equal epochs per sample, the plain mean of every score), and its
interval comes from the spread of those per-sample means over the number of samples, the
clustered standard error, so running every sample twice never narrows the interval as if there
were twice the data. When every score is 0 or 1 and each sample ran once, the interval is the
Wilson interval of the pass proportion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalledger.runs.schemas import ScorerSummary
from evalledger.stats.intervals import mean_interval, wilson_interval


def summarise_scorer(
    name: str, clusters: Sequence[Mapping[str, Any]], reported: Mapping[str, float | None]
) -> ScorerSummary:
    """``clusters``: one mapping per sample id with ``epochs``, ``scored``, ``mean``,
    ``passed`` and ``binary`` (how many of its scores are 0 or 1)."""
    scored = [c for c in clusters if c["scored"]]
    means = [float(c["mean"]) for c in scored]
    passed = int(sum(c["passed"] or 0 for c in clusters))
    samples = int(sum(c["epochs"] for c in clusters))
    n = len(means)
    if n == 0:
        return ScorerSummary(
            scorer=name,
            samples=samples,
            scored=0,
            passed=passed,
            mean=None,
            ci_low=None,
            ci_high=None,
            interval="none",
            reported=dict(reported),
        )
    mean = sum(means) / n
    single_epoch = all(c["scored"] == 1 for c in scored)
    binary = all((c["binary"] or 0) == c["scored"] for c in scored)
    if single_epoch and binary:
        successes = sum(1 for m in means if m == 1.0)
        low, high = wilson_interval(successes, n)
        kind = "wilson"
    else:
        bounds = mean_interval(n, sum(means), sum(m * m for m in means))
        low, high = bounds if bounds is not None else (None, None)  # type: ignore[assignment]
        kind = "clustered normal" if not single_epoch else "normal"
    return ScorerSummary(
        scorer=name,
        samples=samples,
        scored=int(sum(c["scored"] for c in scored)),
        passed=passed,
        mean=mean,
        ci_low=low,
        ci_high=high,
        interval=kind,
        reported=dict(reported),
    )
