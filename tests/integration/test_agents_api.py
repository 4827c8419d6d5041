"""The seed 001 REST contract, authentication, tenancy and input validation, on both backends."""

from __future__ import annotations

import uuid

import httpx
import pytest

from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


async def test_overview_has_seed_shape(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/agent-metrics/")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "success" and body["total_agents"] == 4
    assert sorted(body["agents"]) == ["conquest", "guardian", "imperium", "sandbox"]
    assert set(body["summary"]) == {
        "total_learning_score",
        "total_xp",
        "total_tests_given",
        "total_tests_passed",
        "average_level",
    }


async def test_seed_custody_test_example(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/api/agent-metrics/guardian/custody-test",
        json={
            "passed": True,
            "score": 95,
            "duration": 120,
            "timestamp": "2025-01-25T10:00:00Z",
            "xp_awarded": 25,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success" and body["agent_type"] == "guardian"
    assert body["message"] == "Custody test result recorded successfully"
    m = body["updated_custody_metrics"]
    assert m["total_tests_given"] == 1 and m["total_tests_passed"] == 1
    assert m["custody_xp"] == 25 and m["custody_level"] == 1

    agent = (await api.get("/api/agent-metrics/guardian")).json()
    assert agent["status"] == "success"
    metrics = agent["metrics"]
    assert "learning_score" in metrics
    assert metrics["test_history"][0]["timestamp"].startswith("2025-01-25T10:00:00")
    custody = (await api.get("/api/agent-metrics/guardian/custody")).json()
    assert custody["custody_metrics"]["custody_xp"] == 25


async def test_retried_result_with_same_id_counts_once(api: httpx.AsyncClient) -> None:
    body = {"id": str(uuid.uuid4()), "passed": True, "score": 50}
    first = (await api.post("/api/agent-metrics/imperium/custody-test", json=body)).json()
    again = (await api.post("/api/agent-metrics/imperium/custody-test", json=body)).json()
    assert not first["duplicate"] and again["duplicate"]
    assert again["updated_custody_metrics"]["total_tests_given"] == 1


async def test_idempotency_key_header_on_learning(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "learn-42"}
    for _ in range(2):
        r = await api.post(
            "/api/agent-metrics/sandbox/learning",
            json={"learning_score_delta": 4},
            headers=headers,
        )
        assert r.status_code == 200
    metrics = (await api.get("/api/agent-metrics/sandbox")).json()["metrics"]
    assert metrics["total_learning_cycles"] == 1 and metrics["learning_score"] == 4


async def test_put_learning_bulk_reset_and_analytics(api: httpx.AsyncClient) -> None:
    r = await api.put("/api/agent-metrics/newcomer", json={"priority": "high"})
    assert r.status_code == 200 and r.json()["created"] is True
    r = await api.post(
        "/api/agent-metrics/bulk-update",
        json={"updates": {"newcomer": {"status": "active"}, "guardian": {"is_active": False}}},
    )
    assert r.json()["updated"] == ["guardian", "newcomer"]
    await api.post("/api/agent-metrics/newcomer/custody-test", json={"passed": True, "score": 90})
    r = await api.delete("/api/agent-metrics/newcomer/reset")
    assert r.status_code == 200 and r.json()["metrics"]["total_tests_given"] == 0
    analytics = (await api.get("/api/agent-metrics/analytics/summary")).json()
    assert analytics["status"] == "success"
    assert analytics["analytics"]["total_agents"] == 5
    assert analytics["analytics"]["active_agents"] == 4


async def test_unknown_agent_is_404(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/agent-metrics/ghost/custody-test", json={"passed": True, "score": 1})
    assert r.status_code == 404 and "ghost" in r.text
    assert (await api.get("/api/agent-metrics/ghost")).status_code == 404


async def test_bad_input_names_the_field(api: httpx.AsyncClient) -> None:
    url = "/api/agent-metrics/guardian/custody-test"
    cases = [
        ({"passed": True, "score": 101}, "score"),
        ({"passed": True, "score": -1}, "score"),
        ({"passed": True, "score": 10, "xp_awarded": -5}, "xp_awarded"),
        ({"passed": "maybe", "score": 10}, "passed"),
        ({"score": 10}, "passed"),
        ({"passed": True, "score": 10, "timestamp": "yesterday"}, "timestamp"),
        ({"passed": True, "score": 10, "bogus": 1}, "bogus"),
    ]
    for body, field in cases:
        r = await api.post(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert any(field in err["loc"] for err in r.json()["detail"]), (field, r.text)
    r = await api.put("/api/agent-metrics/guardian", json={"xp": 10_000})
    assert r.status_code == 422 and "derived" in r.text
    r = await api.post(
        url, content=b'{"passed": true, "score": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    metrics = (await api.get("/api/agent-metrics/guardian")).json()["metrics"]
    assert metrics["total_tests_given"] == 0 and metrics["xp"] == 0


async def test_oversized_body_is_413(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    key = await make_key(seeded, "write")
    seeded.settings.max_body_bytes = 2048
    try:
        async with app_for(Authorization=f"Bearer {key}") as client:
            r = await client.post(
                "/api/agent-metrics/guardian/custody-test",
                json={"passed": True, "score": 1, "scenario": "x" * 5000},
            )
    finally:
        seeded.settings.max_body_bytes = 10 * 1024 * 1024
    assert r.status_code == 413
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_auth_is_required_except_health(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    async with app_for() as anon:
        assert (await anon.get("/health")).status_code == 200
        assert (await anon.get("/api/agent-metrics/")).status_code == 401
    async with app_for(Authorization="Bearer evl_nothing_here") as bad:
        assert (await bad.get("/api/agent-metrics/")).status_code == 401
    async with app_for(Authorization="Basic abc") as wrong_scheme:
        assert (await wrong_scheme.get("/api/agent-metrics/")).status_code == 401


async def test_read_key_cannot_write(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    key = await make_key(seeded, "read")
    async with app_for(Authorization=f"Bearer {key}") as reader:
        assert (await reader.get("/api/agent-metrics/guardian")).status_code == 200
        r = await reader.post(
            "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 1}
        )
        assert r.status_code == 403
        assert (await reader.put("/api/agent-metrics/x", json={})).status_code == 403
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_revoked_key_is_refused(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    from evalledger.tenancy import service as tenancy
    from evalledger.uow import UnitOfWork

    key = await make_key(seeded, "admin")
    async with app_for(Authorization=f"Bearer {key}") as client:
        assert (await client.get("/api/agent-metrics/")).status_code == 200
        async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
            await tenancy.revoke_key(uow, key.split("_")[1])
        r = await client.get("/api/agent-metrics/")
        assert r.status_code == 401 and "revoked" in r.text


async def test_concurrent_requests_share_one_key_lookup(seeded: Ledger, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from evalledger.tenancy import service as tenancy

    key = await make_key(seeded, "write")
    tenancy.forget_authentications()
    lookups = 0
    real = tenancy.authenticate

    async def counted(uow, secret):  # type: ignore[no-untyped-def]
        nonlocal lookups
        lookups += 1
        await asyncio.sleep(0.05)  # long enough for every caller to arrive
        return await real(uow, secret)

    monkeypatch.setattr(tenancy, "authenticate", counted)
    actors = await asyncio.gather(*(tenancy.authenticate_cached(seeded.db, key) for _ in range(16)))
    assert lookups == 1 and len({a.key_id for a in actors}) == 1
    # Failures are shared too, and never remembered: the next call looks up again.
    bad = key[:-4] + "xxxx"
    results = await asyncio.gather(
        *(tenancy.authenticate_cached(seeded.db, bad) for _ in range(4)), return_exceptions=True
    )
    assert lookups == 2 and all(type(r).__name__ == "Unauthenticated" for r in results)
    with pytest.raises(Exception, match="unknown API key"):
        await tenancy.authenticate_cached(seeded.db, bad)
    assert lookups == 3


async def test_projects_are_isolated(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    other_key = await make_key(seeded, "write", project="other")
    async with app_for(Authorization=f"Bearer {other_key}") as other:
        # The default project's agents do not exist for project "other".
        assert (await other.get("/api/agent-metrics/guardian")).status_code == 404
        r = await other.post(
            "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 1}
        )
        assert r.status_code == 404
        overview = (await other.get("/api/agent-metrics/")).json()
        assert overview["total_agents"] == 0 and overview["agents"] == []
        # Its own agent of the same name is separate.
        assert (await other.put("/api/agent-metrics/guardian", json={})).json()["created"]
        await other.post(
            "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 99}
        )
    default_guardian = await seeded.get_custody_metrics("guardian")
    assert default_guardian.total_tests_given == 0


async def test_result_id_from_another_project_conflicts(seeded: Ledger, app_for) -> None:  # type: ignore[no-untyped-def]
    rid = str(uuid.uuid4())
    await seeded.update_custody_test_result("guardian", {"id": rid, "passed": True, "score": 5})
    other_key = await make_key(seeded, "write", project="other")
    async with app_for(Authorization=f"Bearer {other_key}") as other:
        await other.put("/api/agent-metrics/guardian", json={})
        r = await other.post(
            "/api/agent-metrics/guardian/custody-test", json={"id": rid, "passed": True, "score": 5}
        )
        assert r.status_code == 409
        # Nothing of project "default" leaks in the answer.
        assert "score" not in r.text


async def test_health_reports_database_and_schema(api: httpx.AsyncClient) -> None:
    body = (await api.get("/health")).json()
    assert body["status"] == "healthy" and body["database"] == "connected"
    assert body["migrations_current"] is True
    assert body["schema_revision"] == body["head_revision"]


async def test_openapi_lists_seed_routes(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/agent-metrics/",
        "/api/agent-metrics/{agent_type}",
        "/api/agent-metrics/{agent_type}/custody",
        "/api/agent-metrics/{agent_type}/custody-test",
        "/api/agent-metrics/{agent_type}/learning",
        "/api/agent-metrics/bulk-update",
        "/api/agent-metrics/{agent_type}/reset",
        "/api/agent-metrics/analytics/summary",
        "/health",
    ):
        assert path in paths, path


async def test_deeply_nested_json_is_refused_not_a_500(api: httpx.AsyncClient) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    r = await api.post(
        "/api/agent-metrics/guardian/custody-test",
        content=f'{{"passed": true, "score": 1, "evaluation": {deep}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "deeper than" in r.text
    # Shallow nesting inside strings does not count.
    r = await api.post(
        "/api/agent-metrics/guardian/custody-test",
        json={"passed": True, "score": 1, "scenario": "[" * 100, "evaluation": {"a": [[1]]}},
    )
    assert r.status_code == 200
