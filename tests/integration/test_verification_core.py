"""Claims, verifications, consensus and verification requests, on both backends."""

from __future__ import annotations

import asyncio

import pytest

from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork, transaction
from evalledger.verification.repository import VerificationRepository


async def _claim(ledger: Ledger, external_id: str = "claim-123") -> None:
    await ledger.create_claim({"external_id": external_id, "content": "The sky is blue."})


async def _verify(ledger: Ledger, claim: str, framework: str, valid: bool, conf: float) -> None:
    await ledger.create_verification(
        {
            "claim_id": claim,
            "framework": framework,
            "result": {"valid": valid, "reasoning": "..."},
            "confidence": conf,
            "evidence": {"sources": ["a"]},
            "processing_time_ms": 100,
        }
    )


async def other_project(ledger: Ledger, name: str = "other") -> Ledger:
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, name)
    return ledger.in_project(project.id)


async def test_claim_roundtrip_and_duplicate(ledger: Ledger) -> None:
    created = await ledger.create_claim(
        {"external_id": "c1", "content": "x", "claim_type": "fact", "metadata": {"k": 1}}
    )
    assert created.metadata == {"k": 1}
    assert (await ledger.get_claim("c1")).id == created.id
    with pytest.raises(ConflictError):
        await ledger.create_claim({"external_id": "c1", "content": "y"})
    page = await ledger.list_claims(claim_type="fact")
    assert [c.external_id for c in page.items] == ["c1"]


async def test_claims_keyset_pages_cover_everything_once(ledger: Ledger) -> None:
    for i in range(7):
        await _claim(ledger, f"c{i}")
    seen: list[str] = []
    cursor = None
    while True:
        page = await ledger.list_claims(limit=3, cursor=cursor)
        seen += [c.external_id for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == [f"c{i}" for i in range(7)] and len(seen) == 7


async def test_verifications_by_claim_recent_and_metrics(ledger: Ledger) -> None:
    await _claim(ledger)
    await _verify(ledger, "claim-123", "empirical", True, 0.9)
    await _verify(ledger, "claim-123", "logical", False, 0.5)
    await _verify(ledger, "claim-123", "empirical", True, 0.7)
    rows = await ledger.get_by_claim_id("claim-123")
    assert [r.framework for r in rows] == ["empirical", "logical", "empirical"]
    recent = await ledger.get_recent_verifications(2)
    assert len(recent.items) == 2 and recent.next_cursor is not None
    metrics = {m.framework: m for m in await ledger.framework_metrics()}
    assert metrics["empirical"].count == 2
    assert metrics["empirical"].avg_confidence == pytest.approx(0.8)
    assert metrics["logical"].avg_processing_time_ms == pytest.approx(100)


async def test_verification_needs_existing_claim_and_valid_confidence(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError):
        await _verify(ledger, "nope", "empirical", True, 0.9)
    await _claim(ledger)
    with pytest.raises(ValidationFailed, match="confidence"):
        await _verify(ledger, "claim-123", "empirical", True, 1.5)


async def test_idempotent_verification(ledger: Ledger) -> None:
    await _claim(ledger)
    body = {"claim_id": "claim-123", "framework": "f", "result": {"valid": True}, "confidence": 1}
    first = await ledger.create_verification(body, idempotency_key="k1")
    again = await ledger.create_verification(body, idempotency_key="k1")
    assert first.id == again.id
    assert len(await ledger.get_by_claim_id("claim-123")) == 1


async def test_consensus_rules_and_recompute_replaces(ledger: Ledger) -> None:
    await _claim(ledger)
    await _verify(ledger, "claim-123", "a", True, 0.3)
    await _verify(ledger, "claim-123", "b", True, 0.3)
    await _verify(ledger, "claim-123", "c", False, 0.99)
    majority = await ledger.compute_consensus("claim-123", "majority")
    assert majority.valid is True and majority.consensus_type == "majority"
    assert majority.participating_frameworks == ["a", "b", "c"]
    assert majority.consensus_confidence == pytest.approx(2 / 3)
    assert majority.decision_time_ms is not None and majority.decision_time_ms >= 0
    weighted = await ledger.compute_consensus("claim-123", "confidence_weighted")
    assert weighted.valid is False
    unanimous = await ledger.compute_consensus("claim-123", "unanimous")
    assert unanimous.valid is None and unanimous.consensus_result["valid"] is None
    stored = await ledger.get_consensus("claim-123")
    assert stored.consensus_type == "unanimous" and stored.id == majority.id  # replaced


async def test_consensus_uses_newest_verdict_per_framework(ledger: Ledger) -> None:
    await _claim(ledger)
    await _verify(ledger, "claim-123", "a", False, 0.9)
    await _verify(ledger, "claim-123", "a", True, 0.9)
    decision = await ledger.compute_consensus("claim-123", "unanimous")
    assert decision.valid is True and decision.participating_frameworks == ["a"]
    assert decision.consensus_result["votes_for"] == 1


async def test_consensus_rejects_results_without_validity(ledger: Ledger) -> None:
    await _claim(ledger)
    with pytest.raises(ValidationFailed):
        await ledger.compute_consensus("claim-123", "majority")  # no results at all
    await ledger.create_verification(
        {"claim_id": "claim-123", "framework": "x", "result": {"score": 3}, "confidence": 0.5}
    )
    with pytest.raises(ValidationFailed) as info:
        await ledger.compute_consensus("claim-123", "majority")
    assert info.value.field == "result.valid"
    with pytest.raises(ValidationFailed):
        await ledger.compute_consensus("claim-123", "plurality")
    with pytest.raises(NotFoundError):
        await ledger.get_consensus("claim-123")


async def test_concurrent_consensus_leaves_one_decision(ledger: Ledger) -> None:
    await _claim(ledger)
    await _verify(ledger, "claim-123", "a", True, 0.6)
    rules = ["majority", "unanimous", "confidence_weighted"] * 4
    results = await asyncio.gather(*(ledger.compute_consensus("claim-123", r) for r in rules))
    assert len({r.id for r in results}) == 1
    stored = await ledger.get_consensus("claim-123")
    assert stored.consensus_type in rules


async def test_other_projects_claims_are_invisible(ledger: Ledger) -> None:
    await _claim(ledger)
    await _verify(ledger, "claim-123", "a", True, 0.6)
    await ledger.compute_consensus("claim-123")
    other = await other_project(ledger)
    for call in (
        other.get_claim("claim-123"),
        other.get_by_claim_id("claim-123"),
        other.get_consensus("claim-123"),
        other.compute_consensus("claim-123"),
    ):
        with pytest.raises(NotFoundError):
            await call
    with pytest.raises(NotFoundError):
        await _verify(other, "claim-123", "a", True, 0.6)
    assert (await other.list_claims()).items == []
    assert await other.framework_metrics() == []
    await _claim(other)  # the same external id is free in another project


@transaction
async def process_verification(
    uow: UnitOfWork, claim: dict[str, object], results: dict[str, dict[str, object]]
) -> str:
    """The seed's ``@transaction`` example: a claim and its verifications, all or nothing."""
    repo = VerificationRepository(uow)
    claim_record = await repo.create_claim(claim)
    for framework, result in results.items():
        await repo.create_verification(
            claim_id=claim_record.external_id, framework=framework, **result
        )
    return claim_record.external_id


async def test_transaction_decorator_commits_and_rolls_back(ledger: Ledger) -> None:
    ok = {
        "empirical": {"result": {"valid": True}, "confidence": 0.95},
        "logical": {"result": {"valid": True}, "confidence": 0.8},
    }
    claim_id = await process_verification(ledger.db, {"external_id": "t1", "content": "c"}, ok)
    assert len(await ledger.get_by_claim_id(claim_id)) == 2

    bad = {**ok, "broken": {"result": {"valid": True}, "confidence": 7.0}}  # CHECK 0..1
    with pytest.raises(ValidationFailed):
        await process_verification(ledger.db, {"external_id": "t2", "content": "c"}, bad)
    with pytest.raises(NotFoundError):
        await ledger.get_claim("t2")
    async with UnitOfWork(ledger.db, write=False) as uow:
        repo = VerificationRepository(uow)
        assert await repo.get_by_claim_id("t2") == []
        assert len(await repo.get_recent_verifications(limit=100)) == 2


async def test_verification_requests_queue(ledger: Ledger) -> None:
    for rid, priority in (("r1", 0), ("r2", 5), ("r3", 0)):
        await ledger.create_verification_request(
            {
                "request_id": rid,
                "client_id": "client_1",
                "content": "AI response to verify",
                "frameworks": ["consistency", "empirical"],
                "priority": priority,
            }
        )
    with pytest.raises(ConflictError):
        await ledger.create_verification_request(
            {"request_id": "r1", "client_id": "c", "content": "x", "frameworks": ["a"]}
        )
    pending = await ledger.get_pending_requests(limit=10)
    assert [r.request_id for r in pending] == ["r2", "r1", "r3"]
    done = await ledger.update_request_status("r2", "completed")
    assert done.status == "completed"
    assert [r.request_id for r in await ledger.get_pending_requests(limit=1)] == ["r1"]
    with pytest.raises(ValidationFailed):
        await ledger.update_request_status("r1", "exploded")
    with pytest.raises(NotFoundError):
        await ledger.update_request_status("zz", "failed")
