"""A run's per-scorer statistics from its stored aggregates, and the rule ``verify`` uses to
say a stored summary is the one its samples give."""

from __future__ import annotations

from typing import Any

import pytest

from evalledger.runs.summary import summaries_agree, summarise_scorer
from evalledger.stats.intervals import mean_interval, wilson_interval


def stats(**kw: Any) -> dict[str, Any]:
    base = {
        "samples": 4,
        "scored": 4,
        "passed": 3,
        "clusters": 4,
        "total": 3.0,
        "total_squares": 3.0,
        "successes": 3,
        "multi_epoch": 0,
        "non_binary": 0,
    }
    return {**base, **kw}


def test_zero_one_scores_run_once_get_the_wilson_interval() -> None:
    s = summarise_scorer("match", stats(), {"accuracy": 0.75})
    assert (s.samples, s.scored, s.passed, s.mean, s.interval) == (4, 4, 3, 0.75, "wilson")
    assert (s.ci_low, s.ci_high) == wilson_interval(3, 4)
    assert s.reported == {"accuracy": 0.75}


def test_other_values_get_the_normal_interval_clustered_over_epochs() -> None:
    values = stats(total=2.5, total_squares=1.75, successes=1, non_binary=2)
    plain = summarise_scorer("judge", values, {})
    assert plain.interval == "normal" and plain.mean == pytest.approx(0.625)
    assert (plain.ci_low, plain.ci_high) == mean_interval(4, 2.5, 1.75)
    epochs = summarise_scorer("judge", {**values, "samples": 8, "multi_epoch": 4}, {})
    assert epochs.interval == "clustered normal" and epochs.samples == 8
    # several epochs of 0/1 scores are no longer a proportion of independent trials
    assert summarise_scorer("m", stats(multi_epoch=1), {}).interval == "clustered normal"


def test_no_value_means_no_statistics() -> None:
    for row in (None, stats(scored=0, clusters=0, total=None, total_squares=None, passed=2)):
        s = summarise_scorer("pass", row, {"n": 1.0})
        assert (s.mean, s.ci_low, s.ci_high, s.interval) == (None, None, None, "none")
    assert summarise_scorer("pass", stats(scored=0, clusters=0), {}).passed == 3


def test_one_sample_has_a_mean_but_no_spread() -> None:
    s = summarise_scorer("j", stats(clusters=1, total=0.4, total_squares=0.16, non_binary=1), {})
    assert (s.mean, s.ci_low, s.ci_high) == (0.4, None, None)


def test_a_stored_summary_agrees_only_with_its_own_numbers() -> None:
    assert summaries_agree(stats(), stats(), 1e-9)
    assert summaries_agree(None, None, 1e-9)
    # the same sum added in another order differs in the last bits: still the same
    assert summaries_agree(stats(total=0.1 + 0.2), stats(total=0.3), 1e-9)
    assert summaries_agree(stats(total=3e9 + 1e-3), stats(total=3e9), 1e-9)
    assert not summaries_agree(stats(), None, 1e-9)
    assert not summaries_agree(None, stats(), 1e-9)
    assert not summaries_agree(stats(passed=2), stats(), 1e-9)
    assert not summaries_agree(stats(total=3.001), stats(), 1e-9)
    assert not summaries_agree(stats(total=None), stats(), 1e-9)
