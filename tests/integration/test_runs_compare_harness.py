"""Comparing runs the real harnesses made (issue #19), on both backends.

The logs under tests/fixtures/harness/compare/ were written by Inspect AI (``mockllm/model``
with scripted outputs) and lm-evaluation-harness (its ``dummy`` model, and a scripted model
run through lm-eval's own command line) answering the same 100 questions. Which questions
each variant gets wrong is planted (scripts/harness_fixtures/compare_plan.py), so every
count, difference and verdict below is derived from the plan, never read from the output:
the comparison must find what was planted, and the gate must exit 1 for the worse variant
and 0 for the equal one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from scripts.harness_fixtures.compare_plan import WRONG, N, sample_id

from evalledger import Ledger
from evalledger.runs.compare_schemas import RunComparison
from evalledger.stats.compare import ScorerComparison
from tests.support.cli import run_cli
from tests.support.harness_logs import FIXTURES

COMPARE = FIXTURES / "compare"
LM_EVAL_SCORERS = ("acc,none", "acc_norm,none")


def doc_id(index: int) -> str:
    """lm-eval names a sample by its document's position in the task (``doc_id``)."""
    return str(index)


def planted(base: str, candidate: str) -> dict[str, int]:
    """The counts the plan implies: a question only the base got wrong improved, one only
    the candidate got wrong regressed, the rest did not change; every question ran in both."""
    wrong_base, wrong_candidate = set(WRONG[base]), set(WRONG[candidate])
    improved = len(wrong_base - wrong_candidate)
    regressed = len(wrong_candidate - wrong_base)
    return {
        "improved": improved,
        "regressed": regressed,
        "unchanged": N - improved - regressed,
        "missing": 0,
    }


def planted_difference(base: str, candidate: str) -> float:
    """The candidate's pass rate minus the base's."""
    return (len(WRONG[base]) - len(WRONG[candidate])) / N


def planted_regressions(
    base: str, candidate: str, name: Callable[[int], str] = sample_id
) -> list[str]:
    """The ids of the questions only the candidate got wrong (Inspect's ids by default)."""
    return sorted(name(i) for i in set(WRONG[candidate]) - set(WRONG[base]))


async def import_one(ledger: Ledger, path: Path) -> uuid.UUID:
    (recorded,) = await ledger.import_run(path)
    assert recorded.created
    return recorded.run.id


def assert_planted(
    scorer: ScorerComparison, base: str, candidate: str, name: Callable[[int], str] = sample_id
) -> None:
    """The scorer's comparison reports exactly the plan's counts, difference and samples."""
    counts = scorer.counts
    assert {
        "improved": counts.improved,
        "regressed": counts.regressed,
        "unchanged": counts.unchanged,
        "missing": counts.missing,
    } == planted(base, candidate)
    assert (scorer.n_pairs, scorer.n_samples, scorer.kind) == (N, N, "binary")
    assert scorer.base.mean == pytest.approx(1 - len(WRONG[base]) / N)
    assert scorer.candidate.mean == pytest.approx(1 - len(WRONG[candidate]) / N)
    assert scorer.difference.estimate == pytest.approx(planted_difference(base, candidate))
    regressed = sorted(s.sample_id for s in scorer.regressed_samples)
    assert regressed == planted_regressions(base, candidate, name)
    assert not scorer.missing


def assert_no_difference(result: RunComparison) -> None:
    for scorer in result.comparison.scorers:
        assert scorer.counts.unchanged == N and scorer.counts.improved == 0
        assert scorer.counts.regressed == scorer.counts.missing == 0
        assert scorer.difference.estimate == 0.0
        assert (scorer.difference.low, scorer.difference.high) == (0.0, 0.0)
        assert scorer.test.p_value == 1.0
    assert result.gate.passed and result.gate.regressed == ()


async def gate_exit(ledger: Ledger, base: uuid.UUID, candidate: uuid.UUID, *more: str) -> int:
    code, _, err = await run_cli(
        ledger.settings.database_url,
        "runs",
        "compare",
        str(base),
        str(candidate),
        "--fail-on-regression",
        *more,
    )
    assert code in (0, 1), err
    return code


# -- Inspect AI ------------------------------------------------------------------------------


async def test_inspect_runs_show_the_planted_difference_and_gate_on_it(ledger: Ledger) -> None:
    runs = {
        variant: await import_one(ledger, COMPARE / "inspect" / f"{variant}.eval")
        for variant in WRONG
    }
    base = runs["base"]

    worse = await ledger.compare_runs(base, runs["worse"])
    (match,) = worse.comparison.scorers
    assert match.scorer == "match"
    assert_planted(match, "base", "worse")
    assert match.test.name == "mcnemar_exact"
    assert match.test.p_value < 0.001  # 5 better against 25 worse
    assert match.difference.high is not None and match.difference.high < 0
    assert not worse.comparison.dataset_changed
    assert not worse.gate.passed and worse.gate.regressed == ("match",)

    # Same accuracy on other questions: 5 better, 5 worse is no evidence of anything.
    equal = await ledger.compare_runs(base, runs["equal"])
    (match,) = equal.comparison.scorers
    assert_planted(match, "base", "equal")
    assert match.difference.estimate == 0.0 and match.test.p_value == 1.0
    assert equal.gate.passed and equal.gate.regressed == ()

    # Another run that gave the same answers, and the run compared with itself.
    assert_no_difference(await ledger.compare_runs(base, runs["base_again"]))
    assert_no_difference(await ledger.compare_runs(base, base))

    # The CI gate as a job runs it.
    assert await gate_exit(ledger, base, runs["worse"]) == 1
    assert await gate_exit(ledger, base, runs["equal"]) == 0
    assert await gate_exit(ledger, base, runs["base_again"]) == 0


async def test_the_gate_report_names_the_planted_regressions(ledger: Ledger) -> None:
    base = await import_one(ledger, COMPARE / "inspect" / "base.eval")
    worse = await import_one(ledger, COMPARE / "inspect" / "worse.eval")
    url = ledger.settings.database_url
    code, out, err = await run_cli(
        url, "runs", "compare", str(base), str(worse), "--fail-on-regression", "--json"
    )
    assert code == 1, err
    answer = json.loads(out)
    (match,) = answer["comparison"]["scorers"]
    assert match["counts"] == planted("base", "worse")
    listed = sorted(s["sample_id"] for s in match["regressed_samples"])
    assert listed == planted_regressions("base", "worse")
    assert answer["gate"]["passed"] is False and answer["gate"]["regressed"] == ["match"]

    # Exit codes a CI job tells apart: 2 bad usage, 3 a run that does not exist.
    code, _, err = await run_cli(url, "runs", "compare", str(base), str(worse), "--scorer", "nope")
    assert code == 2 and "scorer" in err
    code, _, err = await run_cli(url, "runs", "compare", str(base), "not-a-run-id")
    assert code == 2, err
    code, _, err = await run_cli(url, "runs", "compare", str(uuid.uuid4()), str(worse))
    assert code == 3 and "base" in err


# -- lm-evaluation-harness -------------------------------------------------------------------


def lm_eval_results(model: str) -> list[Path]:
    """The results files of one model, oldest first (their names carry the date)."""
    return sorted((COMPARE / "lm_eval" / model).glob("results_*.json"))


async def test_lm_eval_runs_show_the_planted_difference_on_every_metric(ledger: Ledger) -> None:
    runs = {}
    for variant in ("base", "equal", "worse"):
        (path,) = lm_eval_results(f"scripted-{variant}")
        runs[variant] = await import_one(ledger, path)
    base = runs["base"]

    worse = await ledger.compare_runs(base, runs["worse"])
    assert tuple(s.scorer for s in worse.comparison.scorers) == LM_EVAL_SCORERS
    for scorer in worse.comparison.scorers:
        assert_planted(scorer, "base", "worse", doc_id)
        assert scorer.test.p_value < 0.001
    assert not worse.gate.passed and worse.gate.regressed == LM_EVAL_SCORERS

    equal = await ledger.compare_runs(base, runs["equal"])
    for scorer in equal.comparison.scorers:
        assert_planted(scorer, "base", "equal", doc_id)
        assert scorer.test.p_value == 1.0
    assert equal.gate.passed

    assert await gate_exit(ledger, base, runs["worse"]) == 1
    assert await gate_exit(ledger, base, runs["equal"]) == 0
    # One metric at a time: the gate judges only the scorers asked for.
    assert await gate_exit(ledger, base, runs["worse"], "--scorer", "acc_norm,none") == 1


async def test_two_dummy_runs_with_one_seed_are_identical(ledger: Ledger) -> None:
    """lm-eval's dummy model answers at random, from Python's ``random`` seeded by
    ``--seed``: two runs with the same seed give the same answers, so no difference."""
    first, second = lm_eval_results("dummy")
    one, other = await import_one(ledger, first), await import_one(ledger, second)
    assert one != other  # two runs, not one imported twice
    result = await ledger.compare_runs(one, other)
    assert tuple(s.scorer for s in result.comparison.scorers) == LM_EVAL_SCORERS
    assert_no_difference(result)
    assert await gate_exit(ledger, one, other) == 0


# -- the dataset hash evalledger computes (no harness reports one) ---------------------------


async def test_runs_on_the_same_questions_share_a_dataset_hash_and_others_are_flagged(
    ledger: Ledger,
) -> None:
    base = await import_one(ledger, COMPARE / "inspect" / "base.eval")
    worse = await import_one(ledger, COMPARE / "inspect" / "worse.eval")
    other = await import_one(ledger, FIXTURES / "inspect" / "arith.eval")  # other questions
    hashes = {run: (await ledger.get_run(run)).dataset_hash for run in (base, worse, other)}
    assert hashes[base] is not None and hashes[base].startswith("evalledger-samples-v1:")
    assert hashes[base] == hashes[worse] != hashes[other]

    changed = await ledger.compare_runs(base, other)
    assert changed.comparison.dataset_changed
    assert not changed.gate.passed  # the gate refuses a comparison across datasets ...
    code, _, _ = await run_cli(
        ledger.settings.database_url,
        "runs", "compare", str(base), str(other), "--fail-on-regression", "--json",
    )  # fmt: skip
    assert code == 1
    allowed = await ledger.compare_runs(base, other, allow_dataset_change=True)
    assert allowed.comparison.dataset_changed  # ... unless told; it still says so
