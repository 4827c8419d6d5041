"""The competitions REST routes and the HTTP Client, on both backends."""

from __future__ import annotations

import math
import uuid
from typing import Any

import httpx
import pytest

from evalledger.errors import NotFoundError, ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


def event(scores: dict[str, float], **extra: Any) -> dict[str, Any]:
    return {"event_type": "duel", "participants": list(scores), "scores": scores, **extra}


async def post_events(api: httpx.AsyncClient, *bodies: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for body in bodies:
        r = await api.post("/api/v1/events", json=body)
        assert r.status_code == 200, r.text
        out.append(r.json())
    return out


async def test_record_and_read_an_event(api: httpx.AsyncClient) -> None:
    event_id = str(uuid.uuid4())
    body = event(
        {"guardian": 3, "imperium": 1},
        id=event_id,
        winners=["guardian"],
        xp_awarded={"guardian": 100},
        penalties={"imperium": 10},
    )
    r = await api.post("/api/v1/events", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["event"]["id"] == event_id and not r.json()["duplicate"]
    again = await api.post("/api/v1/events", json=body)
    assert again.json()["duplicate"] is True

    got = await api.get(f"/api/v1/events/{event_id}")
    assert got.status_code == 200 and got.json()["winners"] == ["guardian"]
    guardian = (await api.get("/api/agent-metrics/guardian")).json()["metrics"]
    assert guardian["xp"] == 100 and guardian["adversarial_wins"] == 1 and guardian["level"] == 2
    assert (await api.get(f"/api/v1/events/{uuid.uuid4()}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_type": "duel", "participants": ["guardian", "ghost"]}, "participants"),
        ({"event_type": "duel", "participants": ["guardian"], "winners": ["sandbox"]}, "winners"),
        ({"event_type": "duel", "participants": ["guardian"], "penalties": {"x": 1}}, "penalties"),
        ({"event_type": "duel", "participants": []}, "participants"),
        (
            {"event_type": "duel", "participants": ["guardian"], "xp_awarded": {"guardian": -1}},
            "xp_awarded",
        ),
        ({"event_type": "duel", "participants": ["guardian"], "colour": "red"}, "colour"),
    ],
)
async def test_bad_events_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    r = await api.post("/api/v1/events", json=body)
    assert r.status_code == 422, r.text
    assert field in str(r.json()["detail"])


async def test_list_paginates_and_filters(api: httpx.AsyncClient) -> None:
    recorded = await post_events(
        api,
        *(event({"guardian": n, "sandbox": 1}, event_type=f"t{n % 2}") for n in range(5)),
        event({"imperium": 1, "conquest": 2}),
    )
    ids = [r["event"]["id"] for r in recorded]
    first = (await api.get("/api/v1/events", params={"limit": 4})).json()
    assert [e["id"] for e in first["items"]] == ids[::-1][:4] and first["next_cursor"]
    rest = (
        await api.get("/api/v1/events", params={"limit": 4, "cursor": first["next_cursor"]})
    ).json()
    assert [e["id"] for e in rest["items"]] == ids[::-1][4:] and rest["next_cursor"] is None

    mine = (await api.get("/api/v1/events", params={"participant": "conquest"})).json()
    assert [e["id"] for e in mine["items"]] == [ids[5]]
    typed = (await api.get("/api/v1/events", params={"type": "t1"})).json()
    assert {e["id"] for e in typed["items"]} == {ids[1], ids[3]}
    start = recorded[2]["event"]["created_at"]
    windowed = (await api.get("/api/v1/events", params={"start": start})).json()
    assert {e["id"] for e in windowed["items"]} == set(ids[2:])
    assert (await api.get("/api/v1/events", params={"cursor": "zzz"})).status_code == 422
    assert (await api.get("/api/v1/events", params={"limit": 0})).status_code == 422

    stats = (await api.get("/api/v1/events/stats")).json()
    assert stats["total_events"] == 6
    assert {t["event_type"]: t["events"] for t in stats["by_type"]} == {
        "t0": 3,
        "t1": 2,
        "duel": 1,
    }
    by_agent = {a["agent_type"]: a for a in stats["agents"]}
    assert by_agent["guardian"]["average_score"] == 2.0 and by_agent["sandbox"]["events"] == 5


async def test_leaderboard_methods(api: httpx.AsyncClient) -> None:
    # guardian beats everyone; imperium beats sandbox; conquest never scores.
    await post_events(
        api,
        event({"guardian": 9, "imperium": 5, "sandbox": 1}),
        event({"guardian": 7, "imperium": 6}),
        event({"guardian": 4, "sandbox": 2}),
        event({"imperium": 3, "sandbox": 3}),
        event({"imperium": 8, "sandbox": 2}, xp_awarded={"sandbox": 500}),
    )
    for method in ("elo", "bradley_terry"):
        r = await api.get("/api/v1/leaderboard", params={"method": method, "rounds": 30})
        assert r.status_code == 200, r.text
        board = r.json()
        assert board["method"] == method and board["events"] == 5 and board["rounds"] == 30
        names = [e["agent_type"] for e in board["entries"]]
        assert names == ["guardian", "imperium", "sandbox", "conquest"]
        assert [e["rank"] for e in board["entries"]] == [1, 2, 3, 4]
        top = board["entries"][0]
        assert top["lower"] <= top["upper"] and top["events"] == 3
        assert board["entries"][-1]["rating"] is None
        again = await api.get("/api/v1/leaderboard", params={"method": method, "rounds": 30})
        assert again.json() == board  # seeded bootstrap: reproducible

    xp = (await api.get("/api/v1/leaderboard", params={"method": "xp"})).json()
    assert xp["entries"][0]["agent_type"] == "sandbox"
    assert xp["entries"][0]["rating"] == 500 and xp["entries"][0]["lower"] is None

    assert (await api.get("/api/v1/leaderboard", params={"method": "glicko"})).status_code == 422
    assert (await api.get("/api/v1/leaderboard", params={"rounds": 100_000})).status_code == 422


async def test_cached_ratings_equal_recomputation_and_a_write_invalidates_them(
    seeded: Ledger,
) -> None:
    from evalledger.competitions import ratings_cache
    from evalledger.competitions.leaderboard import assemble, compute_ratings, group_events
    from evalledger.competitions.service import CompetitionsService

    async def recomputed(method: str) -> Any:
        # What the leaderboard was before it was cached: both stages on freshly read inputs.
        async with seeded._read() as uow:
            service = CompetitionsService(uow, seeded.settings)
            rows = await service.events.scored_rows(None)
            _, agents = await service.leaderboard_agents(method)  # type: ignore[arg-type]
        computed = compute_ratings(method, group_events(rows), rounds=20)  # type: ignore[arg-type]
        return assemble(method, computed, agents, rounds=20, seed=0)  # type: ignore[arg-type]

    await seeded.record_event(event({"guardian": 9, "imperium": 5, "sandbox": 1}))
    await seeded.record_event(event({"imperium": 8, "sandbox": 2}))
    cache = ratings_cache.for_database(seeded.db)
    for method in ("elo", "bradley_terry"):
        cold = await seeded.leaderboard(method, rounds=20)
        assert cold == await recomputed(method)
        computed = cache._entries[next(reversed(cache._entries))][1]
        warm = await seeded.leaderboard(method, rounds=20)
        assert warm == cold
        assert cache._entries[next(reversed(cache._entries))][1] is computed  # reused

    # A result moves the agents' counters but not the ratings: reused, yet the entry is current.
    await seeded.update_custody_test_result("sandbox", {"passed": True, "score": 90})
    board = await seeded.leaderboard("elo", rounds=20)
    assert board == await recomputed("elo")
    assert {e.agent_type: e.xp for e in board.entries}["sandbox"] > 0

    # A recorded event changes the watermark: the next board is recomputed, not served stale.
    await seeded.record_event(event({"sandbox": 10, "guardian": 0, "imperium": 0}))
    for method in ("elo", "bradley_terry"):
        board = await seeded.leaderboard(method, rounds=20)
        assert board.events == 3
        assert board == await recomputed(method)
        assert {e.agent_type: e.events for e in board.entries}["sandbox"] == 3

    # The xp board counts in SQL what the rows-based build counts in Python.
    assert await seeded.leaderboard("xp") == await recomputed("xp")
    assert (await seeded.leaderboard("xp", event_type="other")).events == 0


async def test_bradley_terry_matches_the_closed_form(api: httpx.AsyncClient) -> None:
    # Two agents: the MLE has log-odds log(wins / losses) (with the 0.01 virtual tie each way).
    await post_events(
        api,
        *(event({"guardian": 1, "imperium": 0}) for _ in range(3)),
        event({"guardian": 0, "imperium": 1}),
        event({"guardian": 1, "imperium": 1}),  # a tie counts half to each
    )
    board = (await api.get("/api/v1/leaderboard", params={"method": "bradley_terry"})).json()
    ratings = {e["agent_type"]: e["rating"] for e in board["entries"]}
    expected = 400 * math.log10((3.5 + 0.005) / (1.5 + 0.005))
    assert ratings["guardian"] - ratings["imperium"] == pytest.approx(expected, abs=1e-6)
    assert ratings["guardian"] + ratings["imperium"] == pytest.approx(2000, abs=1e-6)


async def test_olympus_treaty_and_collaborative_routes(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/api/v1/olympus-treaty/imperium",
        json={"score": 70, "threshold": 65, "scenario": "s", "ai_response": "a"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["updated_custody_metrics"]["total_tests_passed"] == 1
    history = (await api.get("/api/agent-metrics/imperium")).json()["metrics"]["test_history"]
    assert history[0]["test_type"] == "olympus" and history[0]["threshold"] == 65
    assert (
        await api.post("/api/v1/olympus-treaty/ghost", json={"score": 1, "threshold": 2})
    ).status_code == 404
    bad = await api.post("/api/v1/olympus-treaty/imperium", json={"score": 101, "threshold": 2})
    assert bad.status_code == 422 and "score" in str(bad.json()["detail"])

    body = {
        "ai_responses": ["shared"],
        "participants": [
            {"agent_type": "guardian", "passed": True, "score": 80},
            {"agent_type": "sandbox", "passed": True, "score": 60},
        ],
    }
    headers = {"Idempotency-Key": "collab-1"}
    first = await api.post("/api/v1/collaborative-tests", json=body, headers=headers)
    again = await api.post("/api/v1/collaborative-tests", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert again.json() == first.json()
    sandbox = (await api.get("/api/agent-metrics/sandbox")).json()["metrics"]
    assert sandbox["total_tests_given"] == 1
    assert sandbox["test_history"][0]["ai_responses"] == ["shared"]


async def test_another_projects_key_sees_nothing(
    seeded: Ledger, api: httpx.AsyncClient, app_for
) -> None:  # type: ignore[no-untyped-def]
    (recorded,) = await post_events(api, event({"guardian": 2, "imperium": 1}))
    event_id = recorded["event"]["id"]
    secret = await make_key(seeded, "write", project="other")
    async with app_for(Authorization=f"Bearer {secret}") as other:
        assert (await other.get(f"/api/v1/events/{event_id}")).status_code == 404
        assert (await other.get("/api/v1/events")).json()["items"] == []
        assert (await other.get("/api/v1/events", params={"participant": "guardian"})).json()[
            "items"
        ] == []
        assert (await other.get("/api/v1/events/stats")).json()["total_events"] == 0
        board = (await other.get("/api/v1/leaderboard")).json()
        assert board["entries"] == [] and board["events"] == 0
        r = await other.post("/api/v1/events", json=event({"guardian": 1}))
        assert r.status_code == 422  # the default project's agents are not this project's


async def test_read_key_cannot_record(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    secret = await make_key(seeded, "read")
    async with app_for(Authorization=f"Bearer {secret}") as reader:
        r = await reader.post("/api/v1/events", json=event({"guardian": 1}))
        assert r.status_code == 403
        assert (await reader.get("/api/v1/leaderboard")).status_code == 200


async def test_client_speaks_the_ledger_vocabulary(seeded: Ledger) -> None:
    from evalledger.api.app import create_app

    secret = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=secret, transport=transport) as client:
        out = await client.record_event(
            event({"guardian": 5, "sandbox": 1}, id=uuid.uuid4(), winners=["guardian"])
        )
        assert await client.get_event(out.event.id) == out.event
        page = await client.list_events(participant="guardian", start=out.event.created_at)
        assert [e.id for e in page.items] == [out.event.id]
        assert (await client.event_stats()).total_events == 1
        board = await client.leaderboard("bradley_terry", rounds=10)
        assert board.entries[0].agent_type == "guardian"
        assert board == await seeded.leaderboard("bradley_terry", rounds=10)
        assert (await client.leaderboard("elo", event_type="other")).events == 0
        assert (await client.leaderboard("elo", event_type="duel")).events == 1
        treaty = await client.administer_olympus_treaty("sandbox", {"score": 10, "threshold": 50})
        assert treaty.updated_custody_metrics.total_tests_failed == 1
        collab = await client.record_collaborative_test(
            {"participants": [{"agent_type": "imperium", "passed": True, "score": 99}]}
        )
        assert collab.results[0].agent_type == "imperium"
        with pytest.raises(NotFoundError):
            await client.get_event(uuid.uuid4())
        with pytest.raises(ValidationFailed) as info:
            await client.record_event(event({"ghost": 1}))
        assert info.value.field == "participants"


async def test_openapi_describes_the_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/events/stats",
        "/api/v1/collaborative-tests",
        "/api/v1/olympus-treaty/{agent_type}",
        "/api/v1/leaderboard",
    ):
        assert path in paths, path
    assert "bootstrap" in paths["/api/v1/leaderboard"]["get"]["description"]
