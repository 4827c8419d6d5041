"""A scorer's statistics over one run: pure functions of per-scorer aggregates (no database).

The aggregates are a row of ``eval_run_summaries``, written once when the run is recorded
(:func:`evalledger.runs.repository.summary_rows`): sums over the per-sample means, enough for
the mean and either interval, so showing a run of a million samples reads one row per scorer.

Epochs of one sample are not independent draws: the unit is the sample. The mean is the mean
of the per-sample means (with equal epochs per sample, the plain mean of every score), and its
interval comes from the spread of those per-sample means over the number of samples, the
clustered standard error, so running every sample twice never narrows the interval as if there
were twice the data. When every score is 0 or 1 and each sample ran once, the interval is the
Wilson interval of the pass proportion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalledger.runs.schemas import ScorerSummary
from evalledger.stats.intervals import mean_interval, wilson_interval


def summarise_scorer(
    name: str, stats: Mapping[Any, Any] | None, reported: Mapping[str, float | None]
) -> ScorerSummary:
    """``stats``: the scorer's row of ``eval_run_summaries`` (None: no stored score), i.e.
    ``samples``, ``scored`` and ``passed`` (score rows), and over the sample ids with a value:
    ``clusters`` (how many), ``total`` and ``total_squares`` (of their means), ``successes``
    (means of 1), ``multi_epoch`` (scored more than once), ``non_binary`` (a value not 0 or 1).
    """
    n = int(stats["clusters"]) if stats else 0
    samples = int(stats["samples"]) if stats else 0
    passed = int(stats["passed"] or 0) if stats else 0
    if stats is None or n == 0:
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
    total, squares = float(stats["total"]), float(stats["total_squares"])
    single_epoch = int(stats["multi_epoch"]) == 0
    if single_epoch and int(stats["non_binary"]) == 0:
        low, high = wilson_interval(int(stats["successes"]), n)
        kind = "wilson"
    else:
        bounds = mean_interval(n, total, squares)
        low, high = bounds if bounds is not None else (None, None)  # type: ignore[assignment]
        kind = "clustered normal" if not single_epoch else "normal"
    return ScorerSummary(
        scorer=name,
        samples=samples,
        scored=int(stats["scored"]),
        passed=passed,
        mean=total / n,
        ci_low=low,
        ci_high=high,
        interval=kind,
        reported=dict(reported),
    )


#: Integer columns of a stored summary (equal or not), then the float ones (within tolerance).
COUNTS = ("samples", "scored", "passed", "clusters", "successes", "multi_epoch", "non_binary")
SUMS = ("total", "total_squares")


def summaries_agree(
    stored: Mapping[Any, Any] | None, computed: Mapping[Any, Any] | None, tolerance: float
) -> bool:
    """Whether a stored summary row is the one its samples give (sums within ``tolerance``,
    relative to their size: the same sum added in another order differs in the last bits)."""
    if stored is None or computed is None:
        return stored is computed
    if any(int(stored[k] or 0) != int(computed[k] or 0) for k in COUNTS):
        return False
    for key in SUMS:
        a, b = stored[key], computed[key]
        if (a is None) != (b is None):
            return False
        if a is not None and abs(float(a) - float(b)) > tolerance * max(1.0, abs(float(b))):
            return False
    return True
