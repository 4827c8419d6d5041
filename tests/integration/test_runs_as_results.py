"""``import_run(..., agent=A, as_results=True)``: an imported run's samples are results of the
agent it evaluates, in the import's transaction, counted once however often it is imported."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from evalledger import Client
from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.runs.as_results import as_result
from evalledger.runs.schemas import RunIn, SampleIn
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harness"
INSPECT = FIXTURES / "inspect" / "arith.eval"


async def test_samples_become_results_of_the_agent_once(seeded: Ledger) -> None:
    [recorded] = await seeded.import_run(
        INSPECT, agent="guardian", agent_version="v2", as_results=True, scorer="match"
    )
    run = recorded.run
    samples = (await seeded.list_samples(run.id, limit=1000)).items
    passed = sum(1 for s in samples if s.scores["match"].passed)
    metrics = await seeded.get_agent_metrics("guardian")
    assert metrics.total_tests_given == len(samples) == run.sample_count
    assert metrics.total_tests_passed == passed
    page = await seeded.list_results(agent="guardian", metadata=[f"run_id={run.id}"], limit=1000)
    assert len(page.items) == len(samples)
    assert {r.agent_version for r in page.items} == {"v2"}
    by_sample = {r.metadata["sample_id"]: r for r in page.items}
    for s in samples:
        result = by_sample[s.sample_id]
        assert result.passed == s.scores["match"].passed
        assert result.score == pytest.approx(100 * (s.scores["match"].value or 0))
        assert set(result.metrics) == {"includes", "grade"} & set(s.scores)
    # Importing the same file again changes nothing, results included.
    again = await seeded.import_run(INSPECT, agent="guardian", as_results=True, scorer="match")
    assert [r.created for r in again] == [False]
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == len(samples)


async def test_a_threshold_decides_passing(seeded: Ledger) -> None:
    await seeded.import_run(
        INSPECT, agent="sandbox", as_results=True, scorer="grade", pass_threshold=0.5
    )
    results = (await seeded.list_results(agent="sandbox", limit=1000)).items
    assert results and all(r.passed == (r.score >= 50) for r in results)


async def test_refusals_write_nothing_and_match_over_http(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as client:
        for side in (seeded, client):
            with pytest.raises(NotFoundError) as missing:
                await side.import_run(INSPECT, agent="nobody", as_results=True)
            assert missing.value.field == "agent"
            with pytest.raises(ValidationFailed) as bad:
                await side.import_run(INSPECT, agent="guardian", as_results=True, scorer="nope")
            assert bad.value.field == "scorer"
        with pytest.raises(ValidationFailed):
            await seeded.import_run(INSPECT, as_results=True)
    assert (await seeded.list_runs()).items == []
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 0


def test_the_mapping_scales_scores_and_keeps_the_harness_verdict() -> None:
    run = RunIn(task="t", agent_type="guardian", scorers=[{"name": "s"}])
    sample = SampleIn.model_validate(
        {"sample_id": "1", "scores": {"s": {"value": 0.5, "passed": True}, "x y": {"value": 2}}}
    )
    result = as_result(uuid.uuid4(), run, sample, "s", None)
    assert result is not None
    assert (result.score, result.passed, result.metrics) == (50.0, True, {"x_y": 2.0})
    failed = as_result(uuid.uuid4(), run, sample, "s", 0.75)
    assert failed is not None and failed.passed is False
    unscored = SampleIn.model_validate({"sample_id": "2", "scores": {"s": {"value": None}}})
    assert as_result(uuid.uuid4(), run, unscored, "s", None) is None
