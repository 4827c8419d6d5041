"""Competitions through the in-process Ledger, on both backends: events, the Olympus treaty,
collaborative tests, statistics and listing."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.agents.progression import level_for_xp
from evalledger.audit.models import AuditLog
from evalledger.competitions.models import OlympicEvent, OlympicEventParticipant
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger
from evalledger.uow import UnitOfWork

AGENTS = ["conquest", "guardian", "imperium", "sandbox"]


def olympics(**extra: Any) -> dict[str, Any]:
    return {
        "event_type": "olympics",
        "participants": ["guardian", "imperium", "sandbox"],
        "questions": [{"q": "2+2?"}],
        "answers": {"guardian": "4", "imperium": "5"},
        "scores": {"guardian": 90, "imperium": 70, "sandbox": 40},
        "xp_awarded": {"guardian": 150, "imperium": 20},
        "learning_awarded": {"guardian": 1.5, "sandbox": -0.5},
        "penalties": {"imperium": 5},
        "winners": ["guardian"],
        "event_metadata": {"round": 1},
        **extra,
    }


async def count(ledger: Ledger, model: Any, *where: Any) -> int:
    async with UnitOfWork(ledger.db, write=False) as uow:
        stmt = select(func.count()).select_from(model).where(*where)
        return int((await uow.session.execute(stmt)).scalar_one())


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "offender"),
    [
        ({"participants": ["guardian", "ghost"]}, "participants", "ghost"),
        ({"participants": ["guardian", "guardian"]}, "participants", "guardian"),
        ({"participants": ["guardian"], "winners": ["imperium"]}, "winners", "imperium"),
        ({"participants": ["guardian"], "scores": {"sandbox": 1}}, "scores", "sandbox"),
        ({"participants": ["guardian"], "xp_awarded": {"sandbox": 1}}, "xp_awarded", "sandbox"),
        (
            {"participants": ["guardian"], "learning_awarded": {"conquest": 1}},
            "learning_awarded",
            "conquest",
        ),
        ({"participants": ["guardian"], "penalties": {"imperium": 3}}, "penalties", "imperium"),
        ({"participants": ["guardian"], "answers": {"imperium": "x"}}, "answers", "imperium"),
    ],
)
async def test_each_rule_is_422_naming_the_offender(
    seeded: Ledger, change: dict[str, Any], field: str, offender: str
) -> None:
    body = {"event_type": "duel", "participants": ["guardian"], **change}
    with pytest.raises(ValidationFailed) as info:
        await seeded.record_event(body)
    assert info.value.field == field
    assert offender in info.value.message
    assert await count(seeded, OlympicEvent) == 0
    g = await seeded.get_agent_metrics("guardian")
    assert g.xp == 0 and g.adversarial_wins == 0


async def test_agent_of_another_project_is_not_a_participant(seeded: Ledger) -> None:
    async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
        from evalledger.tenancy import service as tenancy

        other = await tenancy.create_project(uow, "other")
    elsewhere = seeded.in_project(other.id)
    await elsewhere.create_or_update_agent_metrics("outsider")
    with pytest.raises(ValidationFailed) as info:
        await seeded.record_event({"event_type": "duel", "participants": ["guardian", "outsider"]})
    assert info.value.field == "participants" and "outsider" in info.value.message


# -- applying an event -------------------------------------------------------------------


async def test_event_applies_xp_learning_penalties_and_wins(seeded: Ledger) -> None:
    out = await seeded.record_event(olympics())
    assert not out.duplicate and out.event.winners == ["guardian"]
    applied = {a.agent_type: a for a in out.applied}
    assert applied["imperium"].xp_delta == 15 and applied["guardian"].won

    g = await seeded.get_agent_metrics("guardian")
    assert g.xp == 150 and (g.level, g.prestige) == level_for_xp(150) == (2, 0)
    assert g.learning_score == 1.5 and g.adversarial_wins == 1
    assert g.custody_xp == 0 and g.total_tests_given == 0  # events are not custody tests
    i = await seeded.get_agent_metrics("imperium")
    assert i.xp == 15 and i.adversarial_wins == 0
    s = await seeded.get_agent_metrics("sandbox")
    assert s.xp == 0 and s.learning_score == -0.5
    c = await seeded.get_agent_metrics("conquest")
    assert c.xp == 0 and c.updated_at == c.created_at  # not a participant: untouched

    stored = await seeded.get_event(out.event.id)
    assert stored == out.event
    assert stored.answers == {"guardian": "4", "imperium": "5"}
    assert stored.event_metadata == {"round": 1} and stored.questions == [{"q": "2+2?"}]


async def test_penalty_never_takes_xp_below_zero(seeded: Ledger) -> None:
    await seeded.record_event(
        {"event_type": "duel", "participants": ["guardian"], "xp_awarded": {"guardian": 30}}
    )
    out = await seeded.record_event(
        {"event_type": "duel", "participants": ["guardian"], "penalties": {"guardian": 100}}
    )
    assert out.applied[0].xp_delta == -30
    assert (await seeded.get_agent_metrics("guardian")).xp == 0
    # The invariant verify can check: xp == results' xp + events' applied deltas.
    async with UnitOfWork(seeded.db, write=False) as uow:
        total = (
            await uow.session.execute(
                select(func.sum(OlympicEventParticipant.xp_delta)).where(
                    OlympicEventParticipant.agent_type == "guardian"
                )
            )
        ).scalar_one()
    assert total == 0


async def test_event_is_audited_in_its_transaction(seeded: Ledger) -> None:
    out = await seeded.record_event(olympics())
    assert (
        await count(
            seeded,
            AuditLog,
            AuditLog.entity_type == "olympic_event",
            AuditLog.entity_id == str(out.event.id),
            AuditLog.action == "create",
        )
        == 1
    )


async def test_same_event_id_twice_is_applied_once(seeded: Ledger) -> None:
    event_id = uuid.uuid4()
    first = await seeded.record_event(olympics(id=event_id))
    again = await seeded.record_event(olympics(id=event_id))
    assert again.duplicate and again.applied == [] and again.event == first.event
    assert (await seeded.get_agent_metrics("guardian")).xp == 150
    assert await count(seeded, OlympicEvent) == 1
    assert await count(seeded, OlympicEventParticipant) == 3


async def test_concurrent_retries_of_one_event_apply_once(seeded: Ledger) -> None:
    event_id = uuid.uuid4()
    outs = await asyncio.gather(*(seeded.record_event(olympics(id=event_id)) for _ in range(8)))
    assert sum(not o.duplicate for o in outs) == 1
    assert (await seeded.get_agent_metrics("guardian")).adversarial_wins == 1


async def test_event_id_of_another_project_conflicts(seeded: Ledger) -> None:
    async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
        from evalledger.tenancy import service as tenancy

        other = await tenancy.create_project(uow, "other")
    elsewhere = seeded.in_project(other.id)
    await elsewhere.create_or_update_agent_metrics("guardian")
    event_id = uuid.uuid4()
    await seeded.record_event({"id": event_id, "event_type": "duel", "participants": ["guardian"]})
    with pytest.raises(ConflictError):
        await elsewhere.record_event(
            {"id": event_id, "event_type": "duel", "participants": ["guardian"]}
        )


async def test_concurrent_events_over_overlapping_agents_lose_nothing(seeded: Ledger) -> None:
    rng = random.Random(7)
    bodies = []
    for n in range(40):
        members = rng.sample(AGENTS, rng.randint(2, 4))
        bodies.append(
            {
                "event_type": "olympics" if n % 2 else "duel",
                "participants": members,
                "scores": {a: rng.randint(0, 10) for a in members},
                "xp_awarded": {a: rng.randint(0, 50) for a in members},
                "learning_awarded": {a: rng.randint(0, 4) / 2 for a in members},
                "winners": [members[0]],
            }
        )
    await asyncio.gather(*(seeded.record_event(b) for b in bodies))
    for agent in AGENTS:
        m = await seeded.get_agent_metrics(agent)
        mine = [b for b in bodies if agent in b["participants"]]
        assert m.xp == sum(b["xp_awarded"][agent] for b in mine)
        assert m.learning_score == pytest.approx(sum(b["learning_awarded"][agent] for b in mine))
        assert m.adversarial_wins == sum(b["winners"] == [agent] for b in mine)
        assert (m.level, m.prestige) == level_for_xp(m.xp)
    assert await count(seeded, OlympicEvent) == 40


# -- listing and statistics --------------------------------------------------------------


async def test_list_filters_and_keyset_pages(seeded: Ledger) -> None:
    recorded = []
    for n in range(7):
        members = ["guardian", "imperium"] if n % 2 else ["sandbox", "conquest"]
        out = await seeded.record_event(
            {"event_type": "duel" if n < 5 else "olympics", "participants": members}
        )
        recorded.append(out.event)

    seen, cursor = [], None
    while True:
        page = await seeded.list_events(limit=3, cursor=cursor)
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert [e.id for e in seen] == [e.id for e in reversed(recorded)]  # newest first, no gaps

    with_guardian = await seeded.list_events(participant="guardian")
    assert {e.id for e in with_guardian.items} == {e.id for e in recorded[1::2]}
    duels = await seeded.list_events(event_type="duel", participant="sandbox")
    assert {e.id for e in duels.items} == {recorded[0].id, recorded[2].id, recorded[4].id}

    window = await seeded.list_events(start=recorded[2].created_at, end=recorded[4].created_at)
    assert {e.id for e in window.items} == {e.id for e in recorded[2:5]}
    later = await seeded.list_events(start=recorded[-1].created_at + timedelta(seconds=1))
    assert later.items == []

    with pytest.raises(ValidationFailed):
        await seeded.list_events(cursor="not-a-cursor")
    with pytest.raises(NotFoundError):
        await seeded.get_event(uuid.uuid4())


async def test_event_stats_are_sql_aggregates(seeded: Ledger) -> None:
    await seeded.record_event(olympics())
    await seeded.record_event(
        {
            "event_type": "duel",
            "participants": ["guardian", "sandbox"],
            "scores": {"guardian": 10, "sandbox": 60},
            "winners": ["sandbox"],
            "xp_awarded": {"sandbox": 7},
        }
    )
    stats = await seeded.event_stats()
    assert stats.total_events == 2
    assert [(t.event_type, t.events) for t in stats.by_type] == [("duel", 1), ("olympics", 1)]
    per = {a.agent_type: a for a in stats.agents}
    assert set(per) == {"guardian", "imperium", "sandbox"}
    assert (per["guardian"].events, per["guardian"].wins) == (2, 1)
    assert per["guardian"].average_score == pytest.approx(50.0)
    assert per["sandbox"].wins == 1 and per["sandbox"].xp_awarded == 7
    assert per["imperium"].penalties == 5 and per["imperium"].average_score == 70.0

    duels = await seeded.event_stats(event_type="duel")
    assert duels.total_events == 1 and {a.agent_type for a in duels.agents} == {
        "guardian",
        "sandbox",
    }


# -- the Olympus treaty and collaborative tests ------------------------------------------


async def test_olympus_treaty_is_in_history_with_its_fields(seeded: Ledger) -> None:
    out = await seeded.administer_olympus_treaty(
        "guardian",
        {
            "score": 82,
            "threshold": 75,
            "scenario": "negotiate a treaty",
            "ai_response": "terms...",
            "evaluation": {"fairness": 0.9},
            "xp_awarded": 40,
        },
    )
    assert out.updated_custody_metrics.total_tests_passed == 1
    m = await seeded.get_agent_metrics("guardian")
    assert m.total_tests_given == 1 and m.custody_xp == 40 and m.xp == 40
    h = m.test_history[0]
    assert h.test_type == "olympus" and h.passed
    assert (h.threshold, h.scenario, h.ai_response) == (75, "negotiate a treaty", "terms...")
    assert h.evaluation == {"fairness": 0.9}

    failed = await seeded.administer_olympus_treaty("guardian", {"score": 60, "threshold": 75})
    assert failed.updated_custody_metrics.total_tests_failed == 1
    overridden = await seeded.administer_olympus_treaty(
        "guardian", {"score": 60, "threshold": 75, "passed": True}
    )
    assert overridden.updated_custody_metrics.total_tests_passed == 2
    with pytest.raises(NotFoundError):
        await seeded.administer_olympus_treaty("ghost", {"score": 60, "threshold": 75})


async def test_olympus_treaty_with_same_id_counts_once(seeded: Ledger) -> None:
    body = {"id": uuid.uuid4(), "score": 90, "threshold": 50}
    await seeded.administer_olympus_treaty("sandbox", body)
    again = await seeded.administer_olympus_treaty("sandbox", body)
    assert again.duplicate
    assert (await seeded.get_custody_metrics("sandbox")).total_tests_given == 1


def collaborative(**extra: Any) -> dict[str, Any]:
    return {
        "test_id": "team-1",
        "test_difficulty": "advanced",
        "ai_responses": {"guardian": "plan A", "conquest": "plan B"},
        "participants": [
            {"agent_type": "guardian", "passed": True, "score": 90, "xp_awarded": 30},
            {"agent_type": "conquest", "passed": False, "score": 20},
        ],
        **extra,
    }


async def test_collaborative_test_rows_and_counters(seeded: Ledger) -> None:
    out = await seeded.record_collaborative_test(collaborative())
    assert out.test_id == "team-1" and len(out.results) == 2
    g = await seeded.get_agent_metrics("guardian")
    c = await seeded.get_agent_metrics("conquest")
    assert (g.total_tests_passed, g.xp, g.custody_xp) == (1, 30, 30)
    assert (c.total_tests_failed, c.consecutive_failures) == (1, 1)
    for m in (g, c):
        row = m.test_history[0]
        assert row.test_type == "collaborative" and row.test_id == "team-1"
        assert row.test_difficulty == "advanced"
        assert row.ai_responses == {"guardian": "plan A", "conquest": "plan B"}


async def test_collaborative_test_is_all_or_nothing(seeded: Ledger) -> None:
    body = collaborative()
    body["participants"].append({"agent_type": "ghost", "passed": True, "score": 1})
    with pytest.raises(ValidationFailed) as info:
        await seeded.record_collaborative_test(body)
    assert info.value.field == "participants" and "ghost" in info.value.message
    body = collaborative()
    body["participants"].append({"agent_type": "guardian", "passed": True, "score": 1})
    with pytest.raises(ValidationFailed) as info:
        await seeded.record_collaborative_test(body)
    assert "guardian" in info.value.message
    assert await count(seeded, CustodyTestResult) == 0
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_collaborative_test_is_idempotent(seeded: Ledger) -> None:
    first = await seeded.record_collaborative_test(collaborative(), idempotency_key="k1")
    again = await seeded.record_collaborative_test(collaborative(), idempotency_key="k1")
    assert again == first
    body = collaborative()
    for p in body["participants"]:
        p["id"] = uuid.uuid4()
    await seeded.record_collaborative_test(body)
    replay = await seeded.record_collaborative_test(body)
    assert all(r.duplicate for r in replay.results)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 2
    assert await count(seeded, CustodyTestResult) == 4


async def test_concurrent_collaborative_tests_lose_nothing(seeded: Ledger) -> None:
    bodies = []
    for n in range(12):
        a, b = AGENTS[n % 4], AGENTS[(n + 1) % 4]
        bodies.append(
            {
                "participants": [
                    {"agent_type": a, "passed": True, "score": 50, "xp_awarded": 3},
                    {"agent_type": b, "passed": False, "score": 10, "xp_awarded": 0},
                ]
            }
        )
    await asyncio.gather(*(seeded.record_collaborative_test(b) for b in bodies))
    async with UnitOfWork(seeded.db, write=False) as uow:
        rows = (
            await uow.session.execute(
                select(
                    AgentMetrics.agent_type,
                    AgentMetrics.total_tests_given,
                    AgentMetrics.total_tests_passed,
                    AgentMetrics.xp,
                )
            )
        ).all()
    for agent, given, passed, xp in rows:
        assert given == 6 and passed == 3 and xp == 9, agent
