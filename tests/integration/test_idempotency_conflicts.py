"""Re-sending a write: the same request replays the first answer; a different request under
the same ``Idempotency-Key`` or the same result ``id`` is refused (409 / ConflictError)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.errors import ConflictError
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key

LEARNING = "/api/agent-metrics/sandbox/learning"
CUSTODY = "/api/agent-metrics/guardian/custody-test"
BATCH = "/api/v1/custody-tests:batch"


@pytest.fixture
async def remote(seeded: Ledger) -> AsyncIterator[Client]:
    transport = httpx.ASGITransport(app=create_app(seeded.settings, ledger=seeded))
    key = await make_key(seeded, "write")
    async with Client("http://test", api_key=key, transport=transport) as client:
        yield client


async def test_same_key_same_body_replays_different_body_is_409(api: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "learn-1"}
    first = await api.post(LEARNING, json={"learning_score_delta": 4}, headers=headers)
    again = await api.post(LEARNING, json={"learning_score_delta": 4}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other = await api.post(LEARNING, json={"learning_score_delta": 9}, headers=headers)
    assert other.status_code == 409, other.text
    assert "different request body" in other.text and "learn-1" in other.text
    after = (await api.get("/api/agent-metrics/sandbox")).json()["metrics"]
    assert after["learning_score"] == first.json()["metrics"]["learning_score"]  # applied once


async def test_in_process_key_with_a_different_body_raises_conflict(seeded: Ledger) -> None:
    first = await seeded.update_learning_metrics(
        "sandbox", {"learning_score_delta": 2}, idempotency_key="k1"
    )
    again = await seeded.update_learning_metrics(
        "sandbox", {"learning_score_delta": 2}, idempotency_key="k1"
    )
    assert again == first
    with pytest.raises(ConflictError, match="different request body"):
        await seeded.update_learning_metrics(
            "sandbox", {"learning_score_delta": 3}, idempotency_key="k1"
        )


async def test_remote_client_raises_conflict_for_a_different_body(remote: Client) -> None:
    await remote.update_learning_metrics(
        "sandbox", {"learning_score_delta": 2}, idempotency_key="k2"
    )
    with pytest.raises(ConflictError, match="different request body"):
        await remote.update_learning_metrics(
            "sandbox", {"learning_score_delta": 5}, idempotency_key="k2"
        )


async def test_result_id_resent_with_another_body_is_409(api: httpx.AsyncClient) -> None:
    rid = str(uuid.uuid4())
    body = {"id": rid, "passed": True, "score": 80}
    first = await api.post(CUSTODY, json=body)
    same = await api.post(CUSTODY, json=body)
    assert first.status_code == same.status_code == 200 and same.json()["duplicate"]
    other = await api.post(CUSTODY, json={**body, "passed": False, "score": 10})
    assert other.status_code == 409, other.text
    assert rid in other.text and "passed, score" in other.text
    metrics = (await api.get("/api/agent-metrics/guardian/custody")).json()["custody_metrics"]
    assert metrics["total_tests_given"] == 1 and metrics["total_tests_passed"] == 1


async def test_in_process_result_id_with_another_body_raises_conflict(seeded: Ledger) -> None:
    rid = uuid.uuid4()
    await seeded.update_custody_test_result("guardian", {"id": rid, "passed": True, "score": 80})
    replay = await seeded.update_custody_test_result(
        "guardian", {"id": rid, "passed": True, "score": 80}
    )
    assert replay.duplicate
    with pytest.raises(ConflictError, match="different score"):
        await seeded.update_custody_test_result(
            "guardian", {"id": rid, "passed": True, "score": 81}
        )


async def test_batch_resent_id_with_another_body_is_409_naming_the_item(
    api: httpx.AsyncClient,
) -> None:
    rid = str(uuid.uuid4())
    item = {"agent_type": "guardian", "id": rid, "passed": True, "score": 70}
    fresh = {"agent_type": "imperium", "passed": True, "score": 50}
    assert (await api.post(BATCH, json={"results": [item]})).status_code == 200
    same = await api.post(BATCH, json={"results": [fresh, item]})
    assert same.status_code == 200 and same.json()["duplicates"] == 1
    other = await api.post(BATCH, json={"results": [fresh, {**item, "test_category": "reasoning"}]})
    assert other.status_code == 409, other.text
    assert "results.1.id" in other.text and "test_category" in other.text
    given = (await api.get("/api/agent-metrics/imperium/custody")).json()["custody_metrics"]
    assert given["total_tests_given"] == 1  # the refused batch wrote nothing
