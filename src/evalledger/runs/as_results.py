"""A run's samples as results of the agent it evaluates (``runs import --agent A --as-results``).

Pure mapping, no database. One sample (and epoch) becomes one custody test result of the agent,
so the agent's counters, XP, leaderboard and results query see the evaluation too, and the run
stays reachable from each result (``metadata.run_id``: ``results list --metadata run_id=ID``).

* the result's score is the chosen scorer's value on the results' 0-100 scale (a value in
  [0, 1] times 100, in decimal, so 0.9 is 90 and not 90.00000000000001; anything else
  clamped to [0, 100]);
* it passed when the value reaches ``pass_threshold``, or, without one, by the harness's own
  verdict (else a value of at least 1);
* the other scorers' values are the result's named ``metrics``;
* its id is derived from the run and the sample, so importing again never counts it twice.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from decimal import Decimal

from evalledger.agents.schemas import BatchResultIn
from evalledger.errors import ValidationFailed
from evalledger.runs.schemas import RunIn, SampleIn

_METRIC_NAME = re.compile(r"[^A-Za-z0-9_.:-]+")


def scorer_for(run: RunIn, chosen: str | None) -> str | None:
    """The scorer whose value becomes the result's score: ``chosen``, else the run's first."""
    names = [str(s.get("name")) for s in run.scorers if isinstance(s, dict) and s.get("name")]
    if chosen is not None:
        if names and chosen not in names:
            raise ValidationFailed(
                f"scorer: run {run.external_id!r} has no scorer {chosen!r} "
                f"(it has {', '.join(names)})",
                field="scorer",
            )
        return chosen
    return names[0] if names else None


def _scaled(value: float) -> float:
    # The shortest decimal that is ``value`` (its repr), times 100: exact for what a user or
    # a harness wrote (0.9 is 90.0), where the binary product would not be (90.00000000000001).
    if 0.0 <= value <= 1.0:
        return float(Decimal(repr(value)) * 100)
    return min(100.0, max(0.0, value))


def as_result(
    run_id: uuid.UUID, run: RunIn, sample: SampleIn, scorer: str, threshold: float | None
) -> BatchResultIn | None:
    """``sample`` as a result of ``run.agent_type``; None when ``scorer`` did not score it."""
    score = sample.scores.get(scorer)
    if score is None or score.value is None or run.agent_type is None:
        return None
    if threshold is not None:
        passed = score.value >= threshold
    else:
        passed = score.passed if score.passed is not None else score.value >= 1.0
    others = {
        _METRIC_NAME.sub("_", name)[:64]: s.value
        for name, s in sample.scores.items()
        if name != scorer and s.value is not None
    }
    return BatchResultIn(
        id=uuid.uuid5(run_id, f"{sample.sample_id}\x1f{sample.epoch}"),
        agent_type=run.agent_type,
        passed=passed,
        score=_scaled(score.value),
        duration=sample.total_time,
        test_id=f"{sample.sample_id}#{sample.epoch}"[:100],
        test_category=run.task[:50],
        test_type=run.harness[:50],
        agent_version=run.agent_version,
        tags=list(run.tags),
        metadata={
            "run_id": str(run_id),
            "sample_id": sample.sample_id,
            "epoch": sample.epoch,
            "scorer": scorer,
        },
        metrics=dict(list(others.items())[:64]),
        input_tokens=sample.input_tokens,
        output_tokens=sample.output_tokens,
    )


def as_results(
    run_id: uuid.UUID,
    run: RunIn,
    samples: Sequence[SampleIn],
    scorer: str | None,
    threshold: float | None,
) -> list[BatchResultIn]:
    if scorer is None:
        return []
    mapped = (as_result(run_id, run, s, scorer, threshold) for s in samples)
    return [r for r in mapped if r is not None]
