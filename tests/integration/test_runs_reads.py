"""Reading a run: its statistics (stored when the run is written) are the ones its samples
give, and a page of the samples a scorer passed or failed is exactly the matching samples in
order, page after page, however rare the verdict."""

from __future__ import annotations

import math
from typing import Any

import pytest

from evalledger.runs.schemas import SampleOut
from evalledger.sdk.ledger import Ledger
from evalledger.stats.intervals import mean_interval, wilson_interval
from tests.integration.test_runs_import import all_samples


def _samples() -> list[dict[str, Any]]:
    out = []
    for n in range(40):
        for epoch in (1, 2) if n % 4 == 0 else (1,):
            scores: dict[str, Any] = {"exact": {"value": float(n % 3 != 0)}}
            if n % 5:
                scores["judge"] = {"value": (n * 7 % 10) / 10, "passed": n % 13 != 1}
            if n == 6:
                scores["judge"] = {"passed": False}  # a verdict without a value
            out.append(
                {"sample_id": f"q{n:02}", "epoch": epoch, "scores": scores, "output": f"answer {n}"}
            )
    return out


@pytest.fixture
async def run_id(ledger: Ledger) -> Any:
    recorded = await ledger.record_run(
        {
            "task": "arith",
            "external_id": "reads",
            "metrics": {"exact": {"accuracy": 0.5}, "unscored": {"accuracy": 1.0}},
            "samples": _samples(),
        }
    )
    return recorded.run.id


def _expected(rows: list[SampleOut], scorer: str) -> tuple[int, int, int, float, str, Any]:
    """The scorer's statistics recomputed from every stored sample, in Python."""
    by_id: dict[str, list[float]] = {}
    count = passed = 0
    for row in rows:
        if scorer not in row.scores:
            continue
        count += 1
        passed += bool(row.scores[scorer].passed)
        if row.scores[scorer].value is not None:
            by_id.setdefault(row.sample_id, []).append(row.scores[scorer].value)
    means = [sum(v) / len(v) for v in by_id.values()]
    scored = sum(len(v) for v in by_id.values())
    if all(len(v) == 1 for v in by_id.values()) and all(m in (0, 1) for m in means):
        return (
            count,
            scored,
            passed,
            sum(means) / len(means),
            "wilson",
            wilson_interval(sum(1 for m in means if m == 1), len(means)),
        )
    kind = "normal" if all(len(v) == 1 for v in by_id.values()) else "clustered normal"
    bounds = mean_interval(len(means), sum(means), sum(m * m for m in means))
    return count, scored, passed, sum(means) / len(means), kind, bounds


async def test_a_runs_statistics_are_its_samples(ledger: Ledger, run_id: Any) -> None:
    run = await ledger.get_run(run_id)
    rows = await all_samples(ledger, run_id)
    assert [s.scorer for s in run.summary] == ["exact", "unscored", "judge"]
    for s in run.summary:
        if s.scorer == "unscored":  # reported only: no samples, no statistics
            assert (s.samples, s.mean, s.interval) == (0, None, "none")
            assert s.reported == {"accuracy": 1.0}
            continue
        samples, scored, passed, mean, kind, bounds = _expected(rows, s.scorer)
        assert (s.samples, s.scored, s.passed, s.interval) == (samples, scored, passed, kind)
        assert math.isclose(s.mean or 0, mean, abs_tol=1e-12)
        assert s.ci_low == pytest.approx(bounds[0]) and s.ci_high == pytest.approx(bounds[1])
    # recording the same run again reads the same stored statistics
    again = await ledger.record_run(
        {
            "task": "arith",
            "external_id": "reads",
            "samples": _samples(),
            "metrics": {"exact": {"accuracy": 0.5}, "unscored": {"accuracy": 1.0}},
        }
    )
    assert again.created is False and again.run == run


async def _pages(ledger: Ledger, run_id: Any, **kw: Any) -> list[SampleOut]:
    out: list[SampleOut] = []
    cursor = None
    while True:
        page = await ledger.list_samples(run_id, limit=3, cursor=cursor, **kw)
        out.extend(page.items)
        if not page.next_cursor:
            return out
        cursor = page.next_cursor


def _with(rows: list[SampleOut], scorer: str | None, passed: bool) -> list[SampleOut]:
    return [
        r
        for r in rows
        if any(s.passed is passed for name, s in r.scores.items() if scorer in (None, name))
    ]


@pytest.mark.parametrize(
    ("scorer", "passed"),
    [("exact", False), ("judge", False), ("judge", True), (None, False), (None, True)],
)
async def test_samples_by_verdict_are_every_match_in_order(
    ledger: Ledger, run_id: Any, scorer: str | None, passed: bool
) -> None:
    rows = await all_samples(ledger, run_id)
    want = _with(rows, scorer, passed)
    assert want, "the fixture must have such samples"
    assert await _pages(ledger, run_id, scorer=scorer, passed=passed) == want
    searched = [r for r in want if "answer 1" in (r.output or "")]
    got = await _pages(ledger, run_id, scorer=scorer, passed=passed, search="answer 1")
    assert got == searched


async def test_a_scorer_the_run_never_used_fails_nothing(ledger: Ledger, run_id: Any) -> None:
    assert (await ledger.list_samples(run_id, scorer="unscored", passed=False)).items == []
    empty = await ledger.record_run({"task": "arith", "external_id": "empty"})
    assert (await ledger.list_samples(empty.run.id, passed=False)).items == []
    assert (await ledger.get_run(empty.run.id)).summary == []
