"""What each harness reports about a run, recomputed from its samples: pure functions.

They follow the harnesses' own code (named per function), so that a run whose stored metrics
disagree with its samples can be found (``verify``), and so the tests can prove an import
faithful: metrics from the imported samples equal the harness's reported ones to 1e-9.
A metric the harness computed in a way that cannot be redone from the samples (a bootstrap
with its random draws, a custom metric) comes back as None: "not checked", never a guess.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalledger.runs.formats.base import (
    INSPECT,
    LM_EVAL,
    OPENAI_EVALS,
    PROMPTFOO,
    RunHeader,
    Sample,
    SampleScore,
    Scorer,
)

# -- shared ----------------------------------------------------------------------------------


def sample_variance(values: Sequence[float]) -> float:
    """The n - 1 variance, two-pass (no sum-of-squares cancellation)."""
    mu = math.fsum(values) / len(values)
    return math.fsum((x - mu) ** 2 for x in values) / (len(values) - 1)


def mean_stderr(values: Sequence[float]) -> float:
    """sqrt(sample variance / n): lm-eval's ``mean_stderr`` and Inspect's ``stderr()``; 0 for
    fewer than two values (Inspect's guard; lm-eval would divide by zero)."""
    if len(values) < 2:
        return 0.0
    return math.sqrt(sample_variance(values) / len(values))


# -- Inspect AI (scorer/_metric.py, scorer/_metrics/*.py, _eval/task/results.py) ----------------


@dataclass(frozen=True)
class Reduced:
    """One sample's score after its epochs were reduced (Inspect's ``reduce_scores``)."""

    sample_id: str
    value: float
    metadata: Mapping[str, Any]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def inspect_float(score: SampleScore) -> float | None:
    """The number Inspect's metrics use for ``score``; None when it is unscored (NaN).

    A value Inspect cannot convert (a list, a map, a non-numeric string) counts 0, as its
    ``value_to_float`` makes it after a warning.
    """
    if _is_nan(score.value):
        return None
    return 0.0 if score.value_float is None else score.value_float


def _mode(scores: list[SampleScore]) -> float:
    """``mode_score``: the most common raw value (first seen wins a tie), then as a number."""
    counts = Counter(str(s.value) for s in scores)
    top = counts.most_common(1)[0][0]
    chosen = next(s for s in scores if str(s.value) == top)
    return inspect_float(chosen) or 0.0


_REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "mean": statistics.mean,
    "median": statistics.median,
    "max": max,
    "min": min,
}


def inspect_reduce(scores: list[SampleScore], reducer: str | None) -> float | None:
    """One sample's epochs reduced as Inspect does; None when none of them was scored or the
    reducer is one this module does not redo (``at_least_k``, ``pass_at_k``, custom)."""
    scored = [s for s in scores if inspect_float(s) is not None]
    if not scored:
        return None
    name = reducer or "mean"
    if name == "mode":
        return _mode(scored)
    fn = _REDUCERS.get(name)
    if fn is None:
        return None
    return float(fn([inspect_float(s) or 0.0 for s in scored]))


def inspect_reduced(
    samples: Iterable[Sample], scorer: str, reducer: str | None
) -> list[Reduced] | None:
    """Every sample's score by ``scorer``, its epochs reduced by ``reducer``, in first-seen
    order; errored samples (no score) are left out, as Inspect leaves them out.

    None when this cannot be redone: a reducer this module does not know, no sample scored by
    ``scorer`` (Inspect reports a scorer with map values once per key, under names the
    samples do not carry), or list or map values (Inspect reduces those per element).
    """
    grouped: dict[str, list[SampleScore]] = {}
    metadata: dict[str, Mapping[str, Any]] = {}
    for sample in samples:
        score = sample.scores.get(scorer)
        if score is None:
            continue
        if isinstance(score.value, list | dict):
            return None
        grouped.setdefault(sample.sample_id, []).append(score)
        metadata.setdefault(sample.sample_id, sample.metadata)
    if not grouped:
        return None
    out: list[Reduced] = []
    for sample_id, scores in grouped.items():
        if (reducer or "mean") not in _REDUCERS and reducer != "mode":
            return None
        value = inspect_reduce(scores, reducer)
        if value is not None and not math.isnan(value):
            out.append(Reduced(sample_id, value, metadata[sample_id]))
    return out


def clustered_stderr(values: Sequence[float], clusters: Sequence[Any]) -> float:
    """Inspect's ``stderr(cluster=...)``: the cluster-robust standard error of the mean with
    the finite-cluster correction C / (C - 1); 0 with fewer than two clusters."""
    groups: dict[Any, list[float]] = {}
    for value, cluster in zip(values, clusters, strict=True):
        groups.setdefault(cluster, []).append(value)
    count = len(groups)
    if count < 2:
        return 0.0
    mu = math.fsum(values) / len(values)
    spread = math.fsum(math.fsum(x - mu for x in group) ** 2 for group in groups.values())
    return math.sqrt(spread * count / (count - 1)) / len(values)


def inspect_metric(
    name: str, params: Mapping[str, Any], reduced: Sequence[Reduced]
) -> float | None:
    """Inspect's built-in metric ``name`` over the reduced scores; None for any other."""
    values = [r.value for r in reduced]
    short = name.rsplit("/", 1)[-1]
    if short in ("accuracy", "mean"):
        return math.fsum(values) / len(values) if values else 0.0
    if short == "stderr":
        cluster = params.get("cluster")
        if cluster is not None:
            return clustered_stderr(values, [r.metadata.get(str(cluster)) for r in reduced])
        return mean_stderr(values)
    if short in ("std", "var"):
        if len(values) < 2:
            return 0.0
        variance = sample_variance(values)
        return math.sqrt(variance) if short == "std" else variance
    return None


def inspect_metrics(samples: Sequence[Sample], scorer: Scorer) -> dict[str, float | None]:
    """Each reported metric of ``scorer`` (by its key) recomputed from ``samples``."""
    reduced = inspect_reduced(samples, scorer.name, scorer.reducer)
    return {
        m.key: None if reduced is None else inspect_metric(m.name, m.params, reduced)
        for m in scorer.metrics
    }


# -- lm-evaluation-harness (lm_eval/api/metrics.py) ----------------------------------------------


def lm_eval_metrics(samples: Sequence[Sample], scorer: Scorer) -> dict[str, float | None]:
    """``mean`` and ``mean_stderr`` of a ``metric,filter`` scorer, as lm-eval aggregates a
    metric whose aggregation is ``mean``; None for other aggregations (bootstrapped)."""
    values = [
        s.scores[scorer.name].value_float
        for s in samples
        if scorer.name in s.scores and s.scores[scorer.name].value_float is not None
    ]
    metric = str(scorer.params.get("metric") or scorer.name.partition(",")[0])
    computable = scorer.params.get("aggregation") in (None, "mean") and values
    out: dict[str, float | None] = {}
    for m in scorer.metrics:
        if not computable:
            out[m.key] = None
        elif m.key == metric:
            out[m.key] = math.fsum(v for v in values if v is not None) / len(values)
        elif m.key == f"{metric}_stderr":
            numbers = [v for v in values if v is not None]
            out[m.key] = mean_stderr(numbers) if len(numbers) > 1 else None
        else:
            out[m.key] = None
    return out


# -- promptfoo (src/evaluator.ts: prompt metrics) ------------------------------------------------


def promptfoo_counts(samples: Iterable[Sample]) -> dict[str, float]:
    """A cell's (one provider x prompt) counts as promptfoo totals them in ``prompt.metrics``:
    tests passed, failed (an assertion) and errored, assertions passed and failed, and the
    sum of the scores."""
    counts = dict.fromkeys(
        ("testPassCount", "testFailCount", "testErrorCount", "assertPassCount", "assertFailCount"),
        0.0,
    )
    total = 0.0
    for sample in samples:
        verdict = sample.scores.get("pass")
        if sample.error is not None:
            counts["testErrorCount"] += 1
        elif verdict is not None and verdict.value is True:
            counts["testPassCount"] += 1
        else:
            counts["testFailCount"] += 1
        for component in (verdict.metadata or {}).get("componentResults") or [] if verdict else []:
            if isinstance(component, Mapping):
                key = "assertPassCount" if component.get("pass") else "assertFailCount"
                counts[key] += 1
        score = sample.scores.get("score")
        if score is not None and score.value_float is not None:
            total += score.value_float
    return {**counts, "score": total}


def promptfoo_metrics(samples: Sequence[Sample], scorer: Scorer) -> dict[str, float | None]:
    counts = promptfoo_counts(samples)
    if scorer.name == "pass":
        return {m.key: counts.get(m.key) for m in scorer.metrics}
    if scorer.name == "score":
        return {m.key: counts["score"] for m in scorer.metrics}
    values = [s.scores[scorer.name].value_float for s in samples if scorer.name in s.scores]
    found = [v for v in values if v is not None]
    return {
        m.key: math.fsum(found)
        if m.key == "sum"
        else float(len(found))
        if m.key == "count"
        else None
        for m in scorer.metrics
    }


# -- OpenAI evals (evals/metrics.py, cli/oaieval.py) ---------------------------------------------


def openai_evals_metrics(samples: Sequence[Sample], scorer: Scorer) -> dict[str, float | None]:
    """``accuracy`` as ``evals.metrics.get_accuracy`` (correct matches / matches); the
    bootstrap std and custom report entries cannot be redone (None)."""
    verdicts = [s.scores["match"].value_float for s in samples if "match" in s.scores]
    out: dict[str, float | None] = {}
    for m in scorer.metrics:
        if m.key == "accuracy" and verdicts:
            out[m.key] = math.fsum(v or 0.0 for v in verdicts) / len(verdicts)
        else:
            out[m.key] = None
    return out


# -- one entry point -------------------------------------------------------------------------

_BY_HARNESS: dict[str, Callable[[Sequence[Sample], Scorer], dict[str, float | None]]] = {
    INSPECT: inspect_metrics,
    LM_EVAL: lm_eval_metrics,
    PROMPTFOO: promptfoo_metrics,
    OPENAI_EVALS: openai_evals_metrics,
}


@dataclass(frozen=True)
class Check:
    """One reported metric next to the value recomputed from the samples."""

    scorer: str
    reducer: str | None
    metric: str
    reported: float | None
    computed: float | None

    @property
    def checked(self) -> bool:
        return self.reported is not None and self.computed is not None

    def agrees(self, tolerance: float = 1e-9) -> bool:
        """True when both are known and equal within ``tolerance``, or either is unknown."""
        if not self.checked:
            return True
        assert self.reported is not None and self.computed is not None
        return abs(self.reported - self.computed) <= tolerance


def check_run(run: RunHeader, samples: Sequence[Sample]) -> list[Check]:
    """Every metric ``run`` reports, with its value recomputed from ``samples`` (the run's
    own: filter by :attr:`Sample.run_key` first)."""
    compute = _BY_HARNESS[run.harness]
    checks: list[Check] = []
    for scorer in run.scorers:
        computed = compute(samples, scorer)
        for metric in scorer.metrics:
            checks.append(
                Check(
                    scorer.name, scorer.reducer, metric.key, metric.value, computed.get(metric.key)
                )
            )
    return checks


def run_usage_totals(samples: Iterable[Sample]) -> dict[str, int]:
    """Input, output and total tokens summed over the samples (Inspect's
    ``stats.model_usage``, OpenAI's ``usage_*`` in the final report)."""
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for sample in samples:
        if sample.usage is not None:
            totals["input_tokens"] += sample.usage.input_tokens or 0
            totals["output_tokens"] += sample.usage.output_tokens or 0
            totals["total_tokens"] += sample.usage.total_tokens or 0
    return totals
