"""The agent-metrics domain through the in-process Ledger, on both backends."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from evalledger.agents.progression import level_for_xp
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger


async def test_record_moves_every_counter(seeded: Ledger) -> None:
    out = await seeded.update_custody_test_result(
        "guardian", {"passed": True, "score": 95, "duration": 120, "xp_awarded": 25}
    )
    assert out.status == "success" and not out.duplicate
    m = out.updated_custody_metrics
    assert (m.total_tests_given, m.total_tests_passed, m.total_tests_failed) == (1, 1, 0)
    assert m.custody_xp == 25 and m.xp == 25 and m.pass_rate == 1.0
    assert m.consecutive_successes == 1 and m.consecutive_failures == 0

    await seeded.update_custody_test_result("guardian", {"passed": False, "score": 10})
    metrics = await seeded.get_agent_metrics("guardian")
    assert metrics.total_tests_given == 2 and metrics.total_tests_failed == 1
    assert metrics.pass_rate == 0.5
    assert metrics.consecutive_successes == 0 and metrics.consecutive_failures == 1
    assert [h.passed for h in metrics.test_history] == [False, True]  # newest first
    assert metrics.test_history[1].duration == 120
    assert metrics.last_test_date is not None


async def test_default_xp_follows_difficulty_and_score(seeded: Ledger) -> None:
    out = await seeded.update_custody_test_result(
        "imperium", {"passed": True, "score": 50, "test_difficulty": "expert"}
    )
    assert out.updated_custody_metrics.xp == 25  # base 50 for expert, half the score


async def test_difficulty_promotes_after_three_passes(seeded: Ledger) -> None:
    for _ in range(3):
        await seeded.update_custody_test_result("sandbox", {"passed": True, "score": 90})
    assert (await seeded.get_custody_metrics("sandbox")).current_difficulty == "intermediate"
    for _ in range(2):
        await seeded.update_custody_test_result("sandbox", {"passed": False, "score": 5})
    assert (await seeded.get_custody_metrics("sandbox")).current_difficulty == "basic"


async def test_level_follows_xp(seeded: Ledger) -> None:
    await seeded.update_custody_test_result(
        "conquest", {"passed": True, "score": 100, "xp_awarded": 950}
    )
    m = await seeded.get_agent_metrics("conquest")
    assert (m.level, m.prestige) == level_for_xp(950) == (4, 0)


async def test_same_id_twice_is_recorded_once(seeded: Ledger) -> None:
    rid = uuid.uuid4()
    first = await seeded.update_custody_test_result(
        "guardian", {"id": rid, "passed": True, "score": 80}
    )
    second = await seeded.update_custody_test_result(
        "guardian", {"id": rid, "passed": True, "score": 80}
    )
    assert second.duplicate and second.result_id == first.result_id == rid
    m = await seeded.get_custody_metrics("guardian")
    assert m.total_tests_given == 1


async def test_id_reused_for_another_agent_conflicts(seeded: Ledger) -> None:
    rid = uuid.uuid4()
    await seeded.update_custody_test_result("guardian", {"id": rid, "passed": True, "score": 80})
    with pytest.raises(ConflictError):
        await seeded.update_custody_test_result(
            "imperium", {"id": rid, "passed": True, "score": 80}
        )
    assert (await seeded.get_custody_metrics("imperium")).total_tests_given == 0


async def test_unknown_agent_is_not_found_and_writes_nothing(seeded: Ledger) -> None:
    with pytest.raises(NotFoundError):
        await seeded.update_custody_test_result("nobody", {"passed": True, "score": 1})
    assert (await seeded.get_all_agent_metrics()).summary.total_tests_given == 0


async def test_concurrent_recordings_lose_nothing(seeded: Ledger) -> None:
    """200 concurrent recordings on one agent: every counter exact."""
    n = 200
    outcomes = [i % 3 != 0 for i in range(n)]

    async def one(passed: bool) -> None:
        await seeded.update_custody_test_result(
            "guardian", {"passed": passed, "score": 70, "xp_awarded": 3}
        )

    await asyncio.gather(*(one(p) for p in outcomes))
    m = await seeded.get_agent_metrics("guardian")
    passed = sum(outcomes)
    assert m.total_tests_given == n
    assert m.total_tests_passed == passed and m.total_tests_failed == n - passed
    assert m.xp == 3 * n and m.custody_xp == 3 * n
    assert m.pass_rate == pytest.approx(passed / n)


async def test_learning_updates_rates_and_bounds_lists(seeded: Ledger) -> None:
    limit = seeded.settings.max_learning_patterns_size
    await seeded.update_learning_metrics(
        "guardian",
        {"learning_score_delta": 5, "successes": 3, "failures": 1, "patterns": list(range(limit))},
    )
    out = await seeded.update_learning_metrics(
        "guardian",
        {"learning_score_delta": 1.5, "successes": 1, "patterns": ["newest"], "suggestions": ["s"]},
    )
    m = out.metrics
    assert m.total_learning_cycles == 2 and m.learning_score == 6.5
    assert m.success_rate == pytest.approx(4 / 5) and m.failure_rate == pytest.approx(1 / 5)
    assert len(m.learning_patterns) == limit
    assert m.learning_patterns[0] == 1 and m.learning_patterns[-1] == "newest"
    assert m.improvement_suggestions == ["s"]


async def test_learning_with_same_idempotency_key_applies_once(seeded: Ledger) -> None:
    for _ in range(3):
        await seeded.update_learning_metrics(
            "guardian", {"learning_score_delta": 2}, idempotency_key="cycle-1"
        )
    m = await seeded.get_agent_metrics("guardian")
    assert m.total_learning_cycles == 1 and m.learning_score == 2


async def test_derived_fields_cannot_be_set(seeded: Ledger) -> None:
    from evalledger.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="xp"):
        await seeded.update_specific_metrics("guardian", {"xp": 1000})


async def test_put_creates_then_updates(ledger: Ledger) -> None:
    created = await ledger.create_or_update_agent_metrics("newbie", {"priority": "high"})
    assert created.created and created.metrics.priority == "high"
    updated = await ledger.create_or_update_agent_metrics("newbie", {"status": "active"})
    assert not updated.created and updated.metrics.status == "active"
    assert updated.metrics.priority == "high"


async def test_bulk_update_is_all_or_nothing(seeded: Ledger) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        await seeded.bulk_update_metrics(
            {"guardian": {"status": "busy"}, "ghost": {"status": "busy"}}
        )
    assert (await seeded.get_agent_metrics("guardian")).status == "idle"
    out = await seeded.bulk_update_metrics(
        {"guardian": {"status": "busy"}, "imperium": {"is_active": False}}
    )
    assert out.updated == ["guardian", "imperium"]
    assert (await seeded.get_agent_metrics("imperium")).is_active is False


async def test_reset_zeroes_counters_but_keeps_results(seeded: Ledger) -> None:
    await seeded.update_custody_test_result(
        "guardian", {"passed": True, "score": 90, "xp_awarded": 40}
    )
    await seeded.update_learning_metrics("guardian", {"learning_score_delta": 3})
    out = await seeded.reset_agent_metrics("guardian")
    m = out.metrics
    assert (m.xp, m.total_tests_given, m.total_learning_cycles, m.learning_score) == (0, 0, 0, 0)
    assert m.test_history == [] and m.level == 1
    await seeded.update_custody_test_result(
        "guardian", {"passed": True, "score": 90, "xp_awarded": 5}
    )
    assert (await seeded.get_custody_metrics("guardian")).xp == 5
    from sqlalchemy import func, select

    from evalledger.agents.models import CustodyTestResult

    async with seeded.db.engine.connect() as conn:
        stored = (await conn.execute(select(func.count()).select_from(CustodyTestResult))).scalar()
    assert stored == 2


async def test_every_mutation_is_audited(seeded: Ledger) -> None:
    from sqlalchemy import select

    from evalledger.audit.models import AuditLog

    out = await seeded.update_custody_test_result("guardian", {"passed": True, "score": 90})
    async with seeded.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.action).where(
                    AuditLog.entity_type == "custody_test_result"
                )
            )
        ).all()
    assert rows == [("custody_test_result", str(out.result_id), "create")]


async def test_failed_write_leaves_no_audit_row(seeded: Ledger) -> None:
    from sqlalchemy import func, select

    from evalledger.audit.models import AuditLog

    async with seeded.db.engine.connect() as conn:
        before = (await conn.execute(select(func.count()).select_from(AuditLog))).scalar()
    with pytest.raises((NotFoundError, ValidationFailed)):
        await seeded.bulk_update_metrics({"guardian": {"status": "x"}, "ghost": {"status": "y"}})
    async with seeded.db.engine.connect() as conn:
        after = (await conn.execute(select(func.count()).select_from(AuditLog))).scalar()
    assert after == before


async def test_analytics_summary_aggregates(seeded: Ledger) -> None:
    await seeded.update_custody_test_result(
        "guardian", {"passed": True, "score": 90, "xp_awarded": 10}
    )
    await seeded.update_custody_test_result("imperium", {"passed": False, "score": 20})
    summary = await seeded.get_analytics_summary()
    assert summary.total_agents == 4 and summary.total_tests_given == 2
    assert summary.overall_pass_rate == 0.5 and summary.total_xp == 10
    assert summary.top_agents[0].agent_type == "guardian"
    assert summary.agents_tested_last_24h == 2
    assert summary.difficulty_distribution == {"basic": 4}


async def test_open_scoped_to_a_named_project(seeded: Ledger) -> None:
    from tests.conftest import make_key

    await make_key(seeded, "read", project="team-b")
    async with Ledger.open(settings=seeded.settings, project="team-b") as scoped:
        assert (await scoped.get_all_agent_metrics()).total_agents == 0
        await scoped.create_or_update_agent_metrics("guardian")
        await scoped.update_custody_test_result("guardian", {"passed": True, "score": 5})
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0
