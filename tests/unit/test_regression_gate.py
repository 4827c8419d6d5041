"""The regression gate and the model leaderboard over pure comparisons (no database)."""

from __future__ import annotations

import pytest

from evalledger.stats.align import RunSamples
from evalledger.stats.compare import compare
from evalledger.stats.gate import gate
from evalledger.stats.paired import mcnemar_exact
from evalledger.stats.ranking import bradley_terry, rank_models, sample_events
from tests.support.runsamples import run

BASE = [1.0] * 60 + [0.0] * 40


def two_scorers(match: list[float], f1: list[float], dataset_hash: str = "h1") -> RunSamples:
    return RunSamples(
        [
            *run(match, dataset_hash=dataset_hash).scores,
            *run(f1, scorer="f1", dataset_hash=dataset_hash).scores,
        ],
        dataset_hash,
    )


def test_a_worse_candidate_fails_the_gate_and_an_equal_one_passes() -> None:
    worse = [1.0] * 40 + [0.0] * 60
    result = gate(compare(run(BASE), run(worse), rounds=100))
    assert not result.passed and not result.refused
    assert result.regressed == ("match",)
    (verdict,) = result.scorers
    assert verdict.verdict == "regressed" and verdict.regressed_samples == 20
    assert verdict.difference == pytest.approx(-0.2)
    assert gate(compare(run(BASE), run(BASE), rounds=100)).passed


def test_a_better_candidate_passes_and_is_called_improved() -> None:
    better = [1.0] * 85 + [0.0] * 15
    result = gate(compare(run(BASE), run(better), rounds=100))
    assert result.passed and result.improved == ("match",)


def test_a_significant_drop_smaller_than_min_effect_is_unchanged() -> None:
    worse = [1.0] * 40 + [0.0] * 60
    comparison = compare(run(BASE), run(worse), rounds=100)
    assert gate(comparison, min_effect=0.25).passed
    assert not gate(comparison, min_effect=0.1).passed


def test_holm_across_gated_scorers_is_applied_and_stated() -> None:
    # match: 10 pairs only the base passed, 2 only the candidate: p = 0.0386 < 0.05 alone,
    # but 0.077 after Holm with a second gated scorer whose p is 1.
    candidate_match = [1.0] * 50 + [0.0] * 10 + [1.0] * 2 + [0.0] * 38
    base = two_scorers(BASE, [0.5] * 100)
    candidate = two_scorers(candidate_match, [0.5] * 100)
    comparison = compare(base, candidate, rounds=100)
    p_match = mcnemar_exact(10, 2)
    assert 0.025 < p_match < 0.05
    both = gate(comparison)
    assert both.correction == "holm" and both.passed
    by_scorer = {v.scorer: v for v in both.scorers}
    assert by_scorer["match"].p_value == pytest.approx(p_match)
    assert by_scorer["match"].adjusted_p_value == pytest.approx(2 * p_match)
    assert by_scorer["match"].verdict == "unchanged"
    alone = gate(comparison, scorers=["match"])
    assert not alone.passed and alone.regressed == ("match",)
    with pytest.raises(KeyError, match="nope"):
        gate(comparison, scorers=["nope"])


def test_a_dataset_change_refuses_the_gate_unless_allowed() -> None:
    comparison = compare(run(BASE), run(BASE, dataset_hash="h2"), rounds=100)
    refused = gate(comparison)
    assert refused.refused and not refused.passed
    assert refused.reason is not None and "h1" in refused.reason and "h2" in refused.reason
    allowed = gate(comparison, allow_dataset_change=True)
    assert allowed.passed and not allowed.refused and allowed.dataset_changed


def test_gate_parameters_are_checked() -> None:
    comparison = compare(run(BASE), run(BASE), rounds=10)
    with pytest.raises(ValueError, match="alpha"):
        gate(comparison, alpha=0.0)
    with pytest.raises(ValueError, match="min_effect"):
        gate(comparison, min_effect=-0.1)


def passes(count: int, total: int = 300) -> list[float]:
    return [1.0] * count + [0.0] * (total - count)


def test_leaderboard_ranks_models_and_calls_better_only_where_significant() -> None:
    runs = {"beta": run(passes(150)), "alpha": run(passes(270)), "gamma": run(passes(147))}
    board = rank_models(runs, "match", rounds=100)
    assert [row.model for row in board.rows] == ["alpha", "beta", "gamma"]
    assert [row.rank for row in board.rows] == [1, 2, 3]
    top = board.rows[0]
    assert top.mean.mean == pytest.approx(0.9) and top.mean.method == "wilson"
    assert set(top.better_than) == {"beta", "gamma"}
    assert board.rows[1].better_than == () and board.rows[2].better_than == ()
    (beta_gamma,) = [p for p in board.pairs if {p.higher, p.lower} == {"beta", "gamma"}]
    assert beta_gamma.better is None and beta_gamma.n_pairs == 300
    assert beta_gamma.difference == pytest.approx(3 / 300)
    assert all(p.adjusted_p_value >= p.p_value for p in board.pairs)
    assert board.correction == "holm" and not board.dataset_changed


def test_leaderboard_pairs_only_the_samples_both_models_ran() -> None:
    ids = [f"s{i:03d}" for i in range(300)]
    runs = {"a": run(passes(200)), "b": run(passes(100)[:200], ids=ids[:200])}
    board = rank_models(runs, "match", rounds=50)
    (pair,) = board.pairs
    assert pair.n_pairs == 200 and pair.better == "a"
    with_silent = rank_models({**runs, "c": run([0.5], scorer="f1")}, "match", rounds=20)
    assert [row.model for row in with_silent.rows] == ["a", "b", "c"]
    assert with_silent.rows[-1].mean.mean is None and with_silent.rows[-1].better_than == ()
    with pytest.raises(ValueError, match="scorer"):
        rank_models(runs, "nope")


def test_bradley_terry_over_per_sample_outcomes_orders_the_models() -> None:
    runs = {"weak": run(passes(100)), "strong": run(passes(250)), "mid": run(passes(180))}
    events = sample_events(runs, "match")
    assert len(events) == 300 and events[0] == {"mid": 1.0, "strong": 1.0, "weak": 1.0}
    ratings = bradley_terry(runs, "match", rounds=30, seed=1)
    assert ratings["strong"].rating > ratings["mid"].rating > ratings["weak"].rating
    assert ratings["strong"].lower > ratings["weak"].upper
    assert ratings == bradley_terry(runs, "match", rounds=30, seed=1)
    lone = {"a": run(passes(5, 10)), "b": run(passes(5, 10), ids=[f"x{i}" for i in range(10)])}
    assert sample_events(lone, "match") == []  # no sample both ran: nothing to compare
