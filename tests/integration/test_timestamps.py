"""A new row's ``created_at`` and ``updated_at`` come from one clock reading, and ``verify``
checks ``updated_at >= created_at`` on every table that has both."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from evalledger.assessments import integrity
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.sdk.ledger import Ledger
from evalledger.verification.models import VerificationRequest, VerificationResult


async def _stamps(ledger: Ledger, table: str) -> list[tuple[object, object]]:
    t = metadata.tables[table]
    async with ledger.db.engine.connect() as conn:
        rows = await conn.execute(select(t.c.created_at, t.c.updated_at))
        return [(r.created_at, r.updated_at) for r in rows]


async def _record_verification_work(ledger: Ledger) -> None:
    await ledger.create_claim({"external_id": "c-1", "content": "The sky is blue"})
    for framework in ("alpha", "beta", "gamma"):
        await ledger.create_verification(
            {
                "claim_id": "c-1",
                "framework": framework,
                "result": {"valid": True},
                "confidence": 0.9,
            }
        )
    await ledger.create_verification_request(
        {"request_id": "r-1", "client_id": "k", "content": "x", "frameworks": ["alpha"]}
    )


async def test_new_rows_are_stamped_once(seeded: Ledger) -> None:
    await _record_verification_work(seeded)
    for table in ("verification_results", "verification_requests", "agent_metrics"):
        stamps = await _stamps(seeded, table)
        assert stamps, table
        assert all(created == updated for created, updated in stamps), (table, stamps)


async def test_verify_checks_updated_after_created_on_every_table(seeded: Ledger) -> None:
    await _record_verification_work(seeded)
    assert not [
        line.text
        for check in (await seeded.verify()).checks
        for line in check.lines
        if line.kind != "ok"
    ]
    async with seeded.db.write_engine.begin() as conn:
        for model in (VerificationResult, VerificationRequest):
            await conn.execute(update(model).values(updated_at=utcnow() - timedelta(days=1)))
    report = await seeded.verify()
    (timestamps,) = [c for c in report.checks if c.key == "timestamps"]
    issues = [line.text for line in timestamps.lines if line.kind == "issue"]
    assert issues == [
        "4 records have updated_at before created_at "
        "(verification_requests: 1, verification_results: 3)"
    ]


def test_every_table_with_both_stamps_is_checked() -> None:
    both = {
        t.name for t in metadata.tables.values() if {"created_at", "updated_at"} <= set(t.c.keys())
    }
    checked = {t.name for t in integrity.stamped_tables()}
    assert both == checked and "verification_results" in checked
