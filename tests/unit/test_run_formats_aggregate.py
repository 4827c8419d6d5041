"""The pure aggregation rules: each harness's numbers, and a disagreement is caught."""

from __future__ import annotations

import dataclasses
import math

import pytest

from evalledger.runs.formats import Metric, Sample, SampleScore, Scorer, detect_format
from evalledger.runs.formats.aggregate import (
    check_run,
    clustered_stderr,
    inspect_metrics,
    inspect_reduce,
    mean_stderr,
    promptfoo_counts,
)
from evalledger.runs.formats.inspect import value_to_float
from tests.support.harness_logs import INSPECT, PROMPTFOO_OUT


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("C", 1.0),
        ("P", 0.5),
        ("I", 0.0),
        ("N", 0.0),
        ("yes", 1.0),
        ("False", 0.0),
        ("0.25", 0.25),
        (True, 1.0),
        (3, 3.0),
        (float("nan"), None),
        ("maybe", None),
        ([1, 0], None),
        ({"a": 1}, None),
    ],
)
def test_value_to_float_maps_as_inspect_does(value: object, number: float | None) -> None:
    assert value_to_float(value) == number


def _score(value: object) -> SampleScore:
    return SampleScore(value=value, value_float=value_to_float(value))


def test_epoch_reducers() -> None:
    scores = [_score("C"), _score("I"), _score("C"), _score(float("nan"))]
    assert inspect_reduce(scores, "mean") == pytest.approx(2 / 3)
    assert inspect_reduce(scores, None) == pytest.approx(2 / 3)
    assert inspect_reduce(scores, "max") == 1.0
    assert inspect_reduce(scores, "min") == 0.0
    assert inspect_reduce(scores, "mode") == 1.0
    assert inspect_reduce(scores, "median") == 1.0
    assert inspect_reduce(scores, "pass_at_2") is None
    assert inspect_reduce([_score(float("nan"))], "mean") is None


def test_stderr_formulas() -> None:
    assert mean_stderr([1.0, 0.0, 0.0, 1.0]) == pytest.approx(math.sqrt(1 / 12))
    assert mean_stderr([1.0]) == 0.0
    # two clusters: deviation sums -0.5 and +0.5; sqrt(0.5 * 2 / 1) / 4
    assert clustered_stderr([1.0, 0.0, 1.0, 1.0], ["a", "a", "b", "b"]) == pytest.approx(0.25)
    assert clustered_stderr([1.0, 0.0], ["a", "a"]) == 0.0


def test_a_sample_changed_after_the_run_is_caught() -> None:
    """What ``verify`` relies on: flip one grade and the recomputed accuracy disagrees."""
    path = INSPECT / "arith.eval"
    fmt = detect_format(path)
    (run,) = fmt.read_header(path).runs
    samples = list(fmt.iter_samples(path))
    assert all(c.agrees() for c in check_run(run, samples))
    q01 = samples[0]
    assert q01.scores["match"].value == "C"
    flipped = dataclasses.replace(q01, scores={**q01.scores, "match": _score("I")})
    checks = check_run(run, [flipped, *samples[1:]])
    bad = {(c.scorer, c.metric) for c in checks if not c.agrees()}
    assert ("match", "accuracy") in bad and ("includes", "accuracy") not in bad


def test_map_valued_scores_are_not_checked_rather_than_guessed() -> None:
    sample = Sample(
        run_key="r",
        sample_id="1",
        epoch=1,
        input="x",
        target="y",
        output="y",
        response=None,
        scores={"multi": _score({"a": 1, "b": 0})},
    )
    scorer = Scorer(name="multi", metrics=(Metric("accuracy", "accuracy", 0.5),))
    assert inspect_metrics([sample], scorer) == {"accuracy": None}
    missing = Scorer(name="a", metrics=(Metric("accuracy", "accuracy", 1.0),))
    assert inspect_metrics([sample], missing) == {"accuracy": None}


def test_promptfoo_counts_of_one_cell() -> None:
    fmt = detect_format(PROMPTFOO_OUT)
    samples = [s for s in fmt.iter_samples(PROMPTFOO_OUT) if s.run_key == "4"]
    counts = promptfoo_counts(samples)
    assert (counts["testPassCount"], counts["testFailCount"], counts["testErrorCount"]) == (
        1.0,
        2.0,
        1.0,
    )
