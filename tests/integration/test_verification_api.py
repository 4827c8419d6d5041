"""REST under /api/v1 and the HTTP Client for issue 5's domains, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.errors import NotFoundError, PermissionDenied, ValidationFailed
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


@pytest.fixture
async def client(seeded: Ledger) -> AsyncIterator[Client]:
    key = await make_key(seeded, "write")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as c:
        yield c


async def test_claim_verification_consensus_over_rest(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/claims", json={"external_id": "c-1", "content": "x"})
    assert r.status_code == 201
    assert (
        await api.post("/api/v1/claims", json={"external_id": "c-1", "content": "x"})
    ).status_code == 409
    bad = await api.post("/api/v1/claims", json={"external_id": "c-2", "content": "x", "typo": 1})
    assert bad.status_code == 422
    for fw, valid in (("a", True), ("b", True), ("c", False)):
        r = await api.post(
            "/api/v1/verifications",
            json={
                "claim_id": "c-1",
                "framework": fw,
                "result": {"valid": valid},
                "confidence": 0.8,
            },
        )
        assert r.status_code == 201, r.text
    r = await api.post(
        "/api/v1/verifications",
        json={"claim_id": "c-1", "framework": "d", "result": {"valid": True}, "confidence": 2},
    )
    assert r.status_code == 422 and "confidence" in r.text
    r = await api.post("/api/v1/claims/c-1/consensus", params={"rule": "majority"})
    assert r.status_code == 200 and r.json()["consensus_result"]["valid"] is True
    assert (await api.post("/api/v1/claims/c-1/consensus", params={"rule": "x"})).status_code == 422
    r = await api.get("/api/v1/claims/c-1/consensus")
    assert r.json()["participating_frameworks"] == ["a", "b", "c"]
    assert (await api.get("/api/v1/claims/nope/consensus")).status_code == 404
    metrics = (await api.get("/api/v1/verifications/metrics")).json()
    assert {m["framework"] for m in metrics} == {"a", "b", "c"}


async def test_missing_validity_is_a_clear_422(api: httpx.AsyncClient) -> None:
    await api.post("/api/v1/claims", json={"external_id": "c", "content": "x"})
    await api.post(
        "/api/v1/verifications",
        json={"claim_id": "c", "framework": "a", "result": {"score": 1}, "confidence": 0.5},
    )
    r = await api.post("/api/v1/claims/c/consensus")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["result.valid"]


async def test_audit_log_is_read_only_filterable_and_paginated(
    seeded: Ledger, api: httpx.AsyncClient, app_for
) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        await api.post("/api/v1/claims", json={"external_id": f"c{i}", "content": "x"})
    read_key = await make_key(seeded, "read")
    async with app_for(Authorization=f"Bearer {read_key}") as reader:
        r = await reader.get("/api/v1/audit-log", params={"entity_type": "claim", "limit": 2})
        assert r.status_code == 200
        page = r.json()
        assert len(page["items"]) == 2 and page["next_cursor"]
        r2 = await reader.get(
            "/api/v1/audit-log",
            params={"entity_type": "claim", "limit": 2, "cursor": page["next_cursor"]},
        )
        assert [e["entity_id"] for e in r2.json()["items"]] == ["c0"]
        one = await reader.get("/api/v1/audit-log", params={"entity_id": "c1", "action": "create"})
        assert [e["entity_id"] for e in one.json()["items"]] == ["c1"]
        assert (await reader.post("/api/v1/audit-log", json={})).status_code == 405
        assert (await reader.get("/api/v1/audit-log", params={"cursor": "!!"})).status_code == 422
        assert (
            await reader.post("/api/v1/claims", json={"external_id": "z", "content": "x"})
        ).status_code == 403
    other_key = await make_key(seeded, "admin", project="other")
    async with app_for(Authorization=f"Bearer {other_key}") as other:
        assert (await other.get("/api/v1/audit-log")).json()["items"] == []
        assert (await other.get("/api/v1/claims/c0")).status_code == 404


async def test_training_checkpoints_health_over_rest(api: httpx.AsyncClient) -> None:
    for i in range(4):
        r = await api.post(
            "/api/v1/training-data",
            json={"framework": "f", "claim_text": f"t{i}", "evidence": {}, "validity": True},
        )
        assert r.status_code == 201
    batches = await asyncio.gather(
        *(
            api.post("/api/v1/training-data/batches", json={"framework": "f", "size": 3})
            for _ in range(3)
        )
    )
    ids = [i["id"] for b in batches for i in b.json()["items"]]
    assert len(ids) == len(set(ids)) == 4
    r = await api.post(
        "/api/v1/checkpoints",
        json={"model_name": "m", "version": "1", "checkpoint_path": "/p", "metrics": {}},
    )
    cid = r.json()["id"]
    assert (
        await api.get("/api/v1/checkpoints/active", params={"model_name": "m"})
    ).status_code == 404
    assert (await api.post(f"/api/v1/checkpoints/{cid}/activate")).json()["is_active"] is True
    assert (await api.get("/api/v1/checkpoints/active", params={"model_name": "m"})).json()[
        "id"
    ] == cid
    r = await api.post(
        "/api/v1/service-health/heartbeats", json={"service_name": "s", "instance_id": "i"}
    )
    assert r.status_code == 200
    stale = await api.get("/api/v1/service-health/stale", params={"threshold_seconds": 0})
    assert [s["instance_id"] for s in stale.json()] == ["i"]


async def test_brahminykite_groups_over_rest(api: httpx.AsyncClient) -> None:
    await api.post("/api/v1/consensus/nodes", json={"name": "n1"})
    p = (
        await api.post(
            "/api/v1/consensus/proposals", json={"name": "p", "choices": ["y", "n"], "quorum": 1}
        )
    ).json()
    v = await api.post(
        f"/api/v1/consensus/proposals/{p['id']}/votes", json={"node": "n1", "choice": "y"}
    )
    assert v.status_code == 201 and v.json()["state"]["decided"] is True
    again = await api.post(
        f"/api/v1/consensus/proposals/{p['id']}/votes", json={"node": "n1", "choice": "y"}
    )
    assert again.status_code == 409
    closed = await api.post(f"/api/v1/consensus/proposals/{p['id']}/close")
    assert closed.json()["outcome"] == "y"

    e = (await api.post("/api/v1/frameworks/executions", json={"framework": "f"})).json()
    fin = await api.post(
        f"/api/v1/frameworks/executions/{e['id']}/finish", json={"status": "completed"}
    )
    assert fin.json()["duration_ms"] is not None
    assert (
        await api.post(f"/api/v1/frameworks/executions/{e['id']}/finish", json={"status": "failed"})
    ).status_code == 409

    for name, power in (("a", 10), ("b", 0)):
        await api.post("/api/v1/power/nodes", json={"name": name, "power": power})
    await api.put("/api/v1/power/relations", json={"source": "a", "target": "b", "weight": 1})
    t = await api.post("/api/v1/power/transfers", json={"source": "a", "target": "b", "amount": 4})
    assert t.status_code == 201 and t.json()["balances"] == {"a": 6.0, "b": 4.0}
    over = await api.post(
        "/api/v1/power/transfers", json={"source": "b", "target": "a", "amount": 5}
    )
    assert over.status_code == 422
    assert (await api.get("/api/v1/power/analysis", params={"threshold": 0.5})).json()[
        "coalitions"
    ] == [["a", "b"]]

    root = (await api.post("/api/v1/evolution/agents", json={"name": "r", "fitness": 1.0})).json()
    child = (
        await api.post("/api/v1/evolution/agents", json={"name": "c", "parent_id": root["id"]})
    ).json()
    assert child["generation"] == 1
    assert (await api.get("/api/v1/evolution/generations/0/best")).json()["id"] == root["id"]
    stats = (await api.get("/api/v1/evolution/generations/stats")).json()
    assert [s["generation"] for s in stats] == [0, 1]


async def test_client_speaks_the_ledgers_vocabulary(client: Client, seeded: Ledger) -> None:
    await client.create_claim({"external_id": "c", "content": "x"})
    await client.create_verification(
        {"claim_id": "c", "framework": "a", "result": {"valid": True}, "confidence": 0.9},
        idempotency_key="k",
    )
    via_http = await client.compute_consensus("c", "unanimous")
    in_process = await seeded.get_consensus("c")
    assert via_http == in_process
    assert (await client.list_claims()).items[0].external_id == "c"
    assert len(await client.get_by_claim_id("c")) == 1
    with pytest.raises(NotFoundError):
        await client.get_claim("missing")
    with pytest.raises(ValidationFailed):
        await client.compute_consensus("c", "nope")
    ck = await client.create_checkpoint(
        {
            "model_name": "m",
            "framework": "a",
            "version": "1",
            "checkpoint_path": "/p",
            "metrics": {},
            "is_active": True,
        }
    )
    assert (await client.get_active_checkpoint("m", "a")).id == ck.id
    assert (await client.list_checkpoints(is_active=True)).items[0].id == ck.id
    batch = await client.claim_training_batch("a", 5)
    assert batch.items == []
    await client.heartbeat({"service_name": "s", "instance_id": "i"})
    assert await client.stale_instances(3600) == []
    assert (await client.list_audit_log(entity_type="claim")).items[0].entity_id == "c"
    node = await client.create_power_node({"name": "a", "power": 1})
    assert [n.id for n in await client.list_power_nodes()] == [node.id]
    agent = await client.create_evolution_agent({"name": "r"})
    assert (await client.agent_lineage(agent.id))[0].id == agent.id
    run = await client.start_execution({"framework": "f"})
    assert (await client.finish_execution(run.id, {"status": "failed"})).status == "failed"
    await client.register_consensus_node({"name": "n"})
    prop = await client.create_proposal({"name": "p", "choices": ["y", "n"], "quorum": 1})
    await client.cast_vote(prop.id, {"node": "n", "choice": "n"})
    assert (await client.close_proposal(prop.id)).outcome == "n"


async def test_read_key_cannot_write(seeded: Ledger) -> None:
    key = await make_key(seeded, "read")
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    async with Client("http://test", api_key=key, transport=transport) as c:
        with pytest.raises(PermissionDenied):
            await c.create_claim({"external_id": "c", "content": "x"})
        assert (await c.list_claims()).items == []
