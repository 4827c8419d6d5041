"""Batch recording: one transaction, exact counters, idempotent per result, all or nothing."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from evalledger.agents import progression
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger


def _results(n: int, agents: list[str]) -> list[dict[str, object]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "agent_type": agents[i % len(agents)],
            "passed": i % 4 != 0,
            "score": float(i % 100),
            "xp_awarded": i % 7,
        }
        for i in range(n)
    ]


async def test_batch_matches_one_by_one(seeded: Ledger) -> None:
    """Counters, streaks and difficulty after a batch equal the fold of the rules."""
    items = _results(300, ["guardian", "imperium", "sandbox"])
    out = await seeded.record_custody_tests(items)
    assert out.recorded == 300 and out.duplicates == 0
    for agent in ("guardian", "imperium", "sandbox"):
        mine = [r for r in items if r["agent_type"] == agent]
        expected = progression.apply_tests(
            progression.CustodyState(),
            [progression.TestOutcome(bool(r["passed"]), int(r["xp_awarded"])) for r in mine],  # type: ignore[call-overload]
        ).derived()
        got = await seeded.get_custody_metrics(agent)
        for key in (
            "total_tests_given",
            "total_tests_passed",
            "consecutive_successes",
            "consecutive_failures",
            "current_difficulty",
            "xp",
            "level",
            "custody_level",
        ):
            assert getattr(got, key) == expected[key], (agent, key)
        assert out.agents[agent].total_tests_given == len(mine)


async def test_retried_batch_changes_nothing(seeded: Ledger) -> None:
    items = _results(50, ["guardian"])
    await seeded.record_custody_tests(items)
    again = await seeded.record_custody_tests(items)
    assert again.recorded == 0 and again.duplicates == 50
    assert all(r.duplicate for r in again.results)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 50
    # Half old, half new: only the new half counts.
    mixed = items[:25] + _results(25, ["guardian"])
    out = await seeded.record_custody_tests(mixed)
    assert (out.recorded, out.duplicates) == (25, 25)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 75


async def test_unknown_agent_writes_nothing(seeded: Ledger) -> None:
    items = _results(10, ["guardian", "ghost"])
    with pytest.raises(NotFoundError, match="ghost"):
        await seeded.record_custody_tests(items)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_repeated_id_in_one_batch_is_refused(seeded: Ledger) -> None:
    items = _results(3, ["guardian"])
    items[2]["id"] = items[0]["id"]
    with pytest.raises(ValidationFailed, match="twice"):
        await seeded.record_custody_tests(items)


async def test_id_of_another_agent_conflicts(seeded: Ledger) -> None:
    items = _results(2, ["guardian"])
    await seeded.record_custody_tests(items)
    items[0]["agent_type"] = "imperium"
    with pytest.raises(ConflictError):
        await seeded.record_custody_tests(items)
    assert (await seeded.get_custody_metrics("imperium")).total_tests_given == 0


async def test_concurrent_batches_are_exact(seeded: Ledger) -> None:
    batches = [_results(100, ["guardian", "imperium", "sandbox", "conquest"]) for _ in range(12)]
    await asyncio.gather(*(seeded.record_custody_tests(b) for b in batches))
    overview = await seeded.get_all_agent_metrics()
    assert overview.summary.total_tests_given == 1200
    expected_xp = sum(int(r["xp_awarded"]) for b in batches for r in b)  # type: ignore[call-overload]
    assert overview.summary.total_xp == expected_xp


async def test_recorder_batches_and_flushes_on_exit(seeded: Ledger) -> None:
    async with seeded.recorder(batch_size=40) as rec:
        for i in range(100):
            await rec.record("conquest", passed=i % 2 == 0, score=50)
        assert rec.recorded == 80  # two full batches so far
    assert rec.recorded == 100
    assert (await seeded.get_custody_metrics("conquest")).total_tests_given == 100


async def test_batch_over_rest(api: httpx.AsyncClient) -> None:
    items = _results(20, ["guardian", "imperium"])
    r = await api.post("/api/v1/custody-tests:batch", json={"results": items})
    assert r.status_code == 200, r.text
    assert r.json()["recorded"] == 20
    r = await api.post("/api/v1/custody-tests:batch", json={"results": []})
    assert r.status_code == 422
    bad = _results(2, ["guardian"])
    bad[1]["score"] = 500
    r = await api.post("/api/v1/custody-tests:batch", json={"results": bad})
    assert r.status_code == 422 and "score" in str(r.json()["detail"][0]["loc"])
    r = await api.post("/api/v1/custody-tests:batch", json={"results": _results(10_001, ["g"])})
    assert r.status_code == 422
