"""``start_run(...)``: a block of results that is also a run of its own. The run, its samples
and the agent's results are one set of facts, written together when the block ends, counted
once however often the block is run under the same key; the same on the Ledger, the Client
and the SyncClient."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from evalledger import Client, SyncClient
from evalledger.api.app import create_app
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.runs.session import RunSession
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key
from tests.integration.test_server_and_clients import running_server

#: (sample id, passed, score, latency) of the evaluation every test runs.
CASES = [("t1", True, 90.0, 812.0), ("t2", False, 33.3, 95.5), ("t3", True, 100.0, 7.0)]


@pytest.fixture(params=["ledger", "client"])
async def side(request: pytest.FixtureRequest, seeded: Ledger) -> AsyncIterator[Any]:
    """The in-process Ledger, or a Client talking to the same ledger over REST."""
    if request.param == "ledger":
        yield seeded
        return
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as client:
        yield client


async def evaluate(run: RunSession, cases: list[tuple[str, bool, float, float]] = CASES) -> None:
    for sample_id, passed, score, latency in cases:
        await run.record(
            sample_id,
            passed=passed,
            score=score,
            metrics={"latency_ms": latency},
            duration=latency / 1000,
            input_tokens=10,
            output="an answer",
        )


async def test_the_runs_samples_are_the_agents_results(side: Any, seeded: Ledger) -> None:
    async with side.start_run(
        "custody", agent="guardian", agent_version="v2", model="gpt-x", tags=["nightly"]
    ) as run:
        await evaluate(run)
    assert run.recorded is not None and run.recorded.created
    got = run.recorded.run
    assert (got.status, got.harness, got.sample_count) == ("success", "sdk", 3)
    assert (got.agent_type, got.agent_version, got.model, got.tags) == (
        "guardian",
        "v2",
        "gpt-x",
        ["nightly"],
    )
    assert got.started_at is not None and got.completed_at is not None
    # The runs pages: a summary per scorer; the samples on the harnesses' 0-1 scale.
    shown = await seeded.get_run(got.id)
    score = next(s for s in shown.summary if s.scorer == "score")
    assert (score.samples, score.passed) == (3, 2)
    assert score.mean == pytest.approx((0.9 + 0.333 + 1.0) / 3)
    samples = {s.sample_id: s for s in (await seeded.list_samples(got.id)).items}
    # The results query: one result per sample, the score exactly as recorded.
    page = await seeded.list_results(metadata=[f"run_id={got.id}"], limit=100)
    results = {r.metadata["sample_id"]: r for r in page.items}
    assert set(results) == set(samples) == {c[0] for c in CASES}
    for sample_id, passed, value, latency in CASES:
        result, sample = results[sample_id], samples[sample_id]
        assert (result.passed, result.score, result.agent_version) == (passed, value, "v2")
        assert result.metrics == {"latency_ms": latency}
        assert result.test_id == f"{sample_id}#1" and result.tags == ["nightly"]
        assert sample.scores["score"].passed is passed
        assert sample.scores["score"].value == pytest.approx(value / 100)
        assert sample.scores["latency_ms"].value == latency
        assert result.duration == sample.total_time == latency / 1000
        assert sample.output == "an answer" and sample.input_tokens == 10
    # The agent's counters moved exactly once per sample.
    metrics = await seeded.get_agent_metrics("guardian")
    assert (metrics.total_tests_given, metrics.total_tests_passed) == (3, 2)


async def test_the_comparison_sees_the_samples(seeded: Ledger) -> None:
    recorded = []
    for model, cases in (("a", CASES), ("b", [(s, True, 100.0, x) for s, _, _, x in CASES])):
        async with seeded.start_run("custody", agent="guardian", model=model) as run:
            await evaluate(run, cases)
        assert run.recorded is not None
        recorded.append(run.recorded.run.id)
    compared = await seeded.compare_runs(*recorded, scorer=["score"])
    entry = compared.comparison.scorer("score")
    assert (entry.n_pairs, entry.counts.improved, entry.counts.regressed) == (3, 2, 0)


async def test_a_block_that_raises_is_an_error_run(side: Any, seeded: Ledger) -> None:
    with pytest.raises(RuntimeError, match="the model went away"):
        async with side.start_run("custody", agent="guardian", external_id="broken") as run:
            await evaluate(run, CASES[:2])
            raise RuntimeError("the model went away")
    (stored,) = (await seeded.list_runs(status="error")).items
    assert stored.external_id == "broken" and stored.sample_count == 2
    assert stored.metadata["error"] == "RuntimeError: the model went away"
    # What was recorded before the error happened, and counts: once.
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 2


async def test_a_cancelled_block_is_a_cancelled_run(seeded: Ledger) -> None:
    with pytest.raises(asyncio.CancelledError):
        async with seeded.start_run("custody", agent="guardian") as run:
            await evaluate(run, CASES[:1])
            raise asyncio.CancelledError
    (stored,) = (await seeded.list_runs(status="cancelled")).items
    assert stored.sample_count == 1


async def test_the_same_key_again_counts_nothing(side: Any, seeded: Ledger) -> None:
    for _ in range(2):
        async with side.start_run("custody", agent="guardian", external_id="nightly-42") as run:
            await evaluate(run)
    assert run.recorded is not None and not run.recorded.created
    assert run.recorded.samples_written == 0
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 3
    # Another outcome under the same key is refused, and nothing of it is written.
    with pytest.raises(ConflictError) as refused:
        async with side.start_run("custody", agent="guardian", external_id="nightly-42") as run:
            await evaluate(run, CASES[:1])
    assert refused.value.field == "external_id"
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 3
    assert len((await seeded.list_runs()).items) == 1


async def test_mistakes_are_refused_before_the_work(side: Any, seeded: Ledger) -> None:
    with pytest.raises(NotFoundError) as missing:
        async with side.start_run("custody", agent="nobody"):
            pytest.fail("the block must not run for an unknown agent")
    assert missing.value.field == "agent"
    with pytest.raises(ValidationFailed) as bad_run:
        side.start_run("", agent="guardian")
    assert bad_run.value.field == "task"
    async with side.start_run("custody", agent="guardian") as run:
        with pytest.raises(ValidationFailed) as bad_score:
            await run.record("t1", passed=True, score=101)
        assert bad_score.value.field == "samples.0.score"
        await run.record("t1", passed=True, score=100)
        with pytest.raises(ValidationFailed) as twice:
            await run.record("t1", passed=False, score=0)
        assert twice.value.field == "samples.1.sample_id"
        with pytest.raises(ValidationFailed) as bad_metric:
            await run.record("t2", passed=False, score=0, metrics={"latency": True})  # type: ignore[dict-item]
        assert bad_metric.value.field == "samples.1.metrics.latency"
    assert run.samples == 1
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 1


async def test_a_run_without_an_agent_records_no_results(side: Any, seeded: Ledger) -> None:
    async with side.start_run("custody", model="gpt-x") as run:
        await evaluate(run)
    assert run.recorded is not None and run.recorded.run.sample_count == 3
    assert (await seeded.list_results(limit=10)).items == []


async def test_record_run_as_results_refuses_what_it_cannot_map(side: Any, seeded: Ledger) -> None:
    body = {"task": "t", "scorers": [{"name": "s"}], "samples": [{"sample_id": "1"}]}
    with pytest.raises(ValidationFailed) as no_agent:
        await side.record_run(body, as_results=True)
    assert no_agent.value.field == "agent_type"
    with pytest.raises(NotFoundError) as unknown:
        await side.record_run({**body, "agent_type": "nobody"}, as_results=True)
    assert unknown.value.field == "agent_type"
    with pytest.raises(ValidationFailed) as scorer:
        await side.record_run({**body, "agent_type": "guardian"}, as_results=True, scorer="x")
    assert scorer.value.field == "scorer"
    with pytest.raises(ValidationFailed) as threshold:
        await side.record_run(
            {**body, "agent_type": "guardian"}, as_results=True, pass_threshold=float("nan")
        )
    assert threshold.value.field == "pass_threshold"
    assert (await seeded.list_runs()).items == []


async def test_the_sync_client_records_a_run_the_same_way(seeded: Ledger) -> None:
    key = await make_key(seeded, "write")
    with (
        running_server(seeded.settings.database_url) as base,
        SyncClient(base, api_key=key) as client,
    ):
        with client.start_run("custody", agent="guardian", external_id="sync-1") as run:
            for sample_id, passed, score, _ in CASES:
                run.record(sample_id, passed=passed, score=score)
        assert run.recorded is not None and run.recorded.run.sample_count == 3
        with (
            pytest.raises(KeyError),
            client.start_run("custody", agent="guardian", external_id="sync-2") as failed,
        ):
            failed.record("t1", passed=True, score=50)
            raise KeyError("t2")
        page = client.list_results(metadata=[f"run_id={run.recorded.run.id}"], limit=10)
        assert sorted(r.score for r in page.items) == [33.3, 90.0, 100.0]
    assert (await seeded.list_runs(status="error")).items[0].external_id == "sync-2"
    assert (await seeded.get_agent_metrics("guardian")).total_tests_given == 4
