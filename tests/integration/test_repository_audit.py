"""Writes through the documented repository pattern (``VerificationRepository`` under
``@transaction``) are audited exactly like the same writes through the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from evalledger.sdk.ledger import Ledger
from evalledger.uow import UnitOfWork, transaction
from evalledger.verification.repository import VerificationRepository


@transaction
async def process_verification(
    uow: UnitOfWork, claim: dict[str, Any], results: dict[str, dict[str, Any]]
) -> None:
    repo = VerificationRepository(uow)
    record = await repo.create_claim(claim)
    for framework, result in results.items():
        await repo.create_verification(claim_id=record.external_id, framework=framework, **result)
    await repo.create_verification_request(
        request_id="req-1", client_id="bk", content=claim["content"], frameworks=["alpha"]
    )
    await repo.update_request_status("req-1", "processing")


async def _audit(ledger: Ledger) -> list[tuple[str, str]]:
    page = await ledger.list_audit_log(limit=100)
    return sorted((e.entity_type, e.action) for e in page.items)


async def test_repository_pattern_writes_are_audited(ledger: Ledger) -> None:
    await process_verification(
        ledger.db,
        {"external_id": "c1", "content": "The sky is blue"},
        {
            "alpha": {"result": {"valid": True}, "confidence": 0.9},
            "beta": {"result": {"valid": False}, "confidence": 0.4},
        },
    )
    assert await _audit(ledger) == [
        ("claim", "create"),
        ("verification_request", "create"),
        ("verification_request", "status"),
        ("verification_result", "create"),
        ("verification_result", "create"),
    ]
    (claim_entry,) = (await ledger.list_audit_log(entity_type="claim")).items
    assert claim_entry.entity_id == "c1"


@transaction
async def claim_then_fail(uow: UnitOfWork) -> None:
    await VerificationRepository(uow).create_claim(external_id="c2", content="x")
    raise RuntimeError("the caller's own failure")


async def test_a_rolled_back_repository_write_leaves_no_audit_row(ledger: Ledger) -> None:
    with pytest.raises(RuntimeError, match="own failure"):
        await claim_then_fail(ledger.db)
    assert await _audit(ledger) == []
    assert (await ledger.list_claims()).items == []


async def test_ledger_and_repository_audit_the_same_way(ledger: Ledger) -> None:
    """The service goes through the same repository methods: one audit row per write."""
    await ledger.create_claim({"external_id": "c3", "content": "x"})
    await ledger.create_verification(
        {"claim_id": "c3", "framework": "alpha", "result": {"valid": True}, "confidence": 0.5}
    )
    assert await _audit(ledger) == [("claim", "create"), ("verification_result", "create")]
