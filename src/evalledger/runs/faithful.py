"""Which reported metric is a plain statistic of a scorer's stored values: pure rules.

A harness reports many metrics; only some are quantities evalledger recomputes from the samples
it stored (:class:`~evalledger.runs.schemas.ScorerSummary`): the *mean* of a scorer's values
(Inspect's ``accuracy``/``mean`` under the default ``mean`` epoch reducer, lm-eval's metric of
aggregation ``mean``, OpenAI evals' ``accuracy``) and its *standard error* over samples
(Inspect's unclustered ``stderr``, lm-eval's ``<metric>_stderr``). The rest (bootstrap
stds, other reducers, clustered errors, promptfoo's counts) are kept as reported and not
compared. ``verify`` and the faithfulness tests use these rules, so both compare the same
things. The recomputation from the harness's *file* is :mod:`.formats.aggregate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_INSPECT_MEANS = frozenset({"accuracy", "mean"})


def _lm_eval_metric(scorer: str, params: Mapping[str, Any]) -> str | None:
    """The metric of an lm-eval ``metric,filter`` scorer, if it is aggregated by mean."""
    if params.get("aggregation") not in (None, "mean"):
        return None
    return str(params.get("metric") or scorer.partition(",")[0])


def is_mean(harness: str, scorer: str, metric: str, params: Mapping[str, Any]) -> bool:
    """Whether ``metric`` of ``scorer`` (its stored key, ``match:max`` for another Inspect
    reducer) is the mean over samples of the scorer's per-sample mean over epochs."""
    if harness == "inspect_ai":
        return ":" not in scorer and metric.rsplit("/", 1)[-1] in _INSPECT_MEANS
    if harness == "lm_eval":
        return metric == _lm_eval_metric(scorer, params)
    if harness == "openai_evals":
        return scorer == "match" and metric == "accuracy"
    return False


def is_mean_stderr(
    harness: str,
    scorer: str,
    metric: str,
    params: Mapping[str, Any],
    metric_params: Mapping[str, Any] | None = None,
) -> bool:
    """Whether ``metric`` is the standard error of that mean, sqrt(var / n) over samples."""
    if harness == "inspect_ai":
        clustered = bool((metric_params or {}).get("cluster"))
        return ":" not in scorer and metric == "stderr" and not clustered
    if harness == "lm_eval":
        name = _lm_eval_metric(scorer, params)
        return name is not None and metric == f"{name}_stderr"
    return False
