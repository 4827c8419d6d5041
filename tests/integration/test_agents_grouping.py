"""Group commit of concurrent single results: same answers, same counters, same audit."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from evalledger.audit.models import AuditLog
from evalledger.errors import ConflictError, NotFoundError
from evalledger.sdk.ledger import Ledger

SEQUENCE = [(True, 90), (True, 85), (True, 95), (False, 10), (True, 70), (True, 99)] * 5


async def test_grouped_answers_equal_one_by_one(seeded: Ledger) -> None:
    """Concurrent recordings answer exactly as the same results recorded one after another."""
    alone = [
        await seeded.update_custody_test_result("guardian", {"passed": p, "score": s})
        for p, s in SEQUENCE
    ]
    together = await asyncio.gather(
        *(
            seeded.update_custody_test_result("imperium", {"passed": p, "score": s})
            for p, s in SEQUENCE
        )
    )

    # gather starts the calls in order, so they are queued (and folded) in that order.
    def counters(m: object) -> dict[str, object]:
        return m.model_dump(exclude={"last_test_date"})  # type: ignore[attr-defined]

    for a, b in zip(alone, together, strict=True):
        assert counters(a.updated_custody_metrics) == counters(b.updated_custody_metrics)
    g = await seeded.get_custody_metrics("guardian")
    i = await seeded.get_custody_metrics("imperium")
    assert counters(g) == counters(i)
    async with seeded._read() as uow:
        audited = (
            await uow.session.execute(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.entity_type == "custody_test_result")
            )
        ).scalar_one()
    assert audited == 2 * len(SEQUENCE)


async def test_one_bad_result_fails_alone(seeded: Ledger) -> None:
    """A conflicting id, an unknown agent and a retried id in one burst: each gets its own
    outcome and the good results are recorded."""
    taken = uuid.uuid4()
    await seeded.update_custody_test_result("imperium", {"id": taken, "passed": True, "score": 1})
    retried = uuid.uuid4()
    await seeded.update_custody_test_result("guardian", {"id": retried, "passed": True, "score": 1})
    calls = [
        seeded.update_custody_test_result("guardian", {"passed": True, "score": 50}),
        seeded.update_custody_test_result("guardian", {"id": taken, "passed": True, "score": 50}),
        seeded.update_custody_test_result("nobody", {"passed": True, "score": 50}),
        seeded.update_custody_test_result("guardian", {"id": retried, "passed": True, "score": 1}),
        seeded.update_custody_test_result("guardian", {"passed": False, "score": 5}),
    ]
    out = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(out[1], ConflictError)
    assert isinstance(out[2], NotFoundError)
    assert out[3].duplicate  # type: ignore[union-attr]
    m = await seeded.get_custody_metrics("guardian")
    assert m.total_tests_given == 3 and m.total_tests_passed == 2


@pytest.mark.parametrize("agents", [1, 4])
async def test_many_concurrent_results_are_exact(seeded: Ledger, agents: int) -> None:
    names = ["imperium", "guardian", "sandbox", "conquest"][:agents]
    n = 300
    await asyncio.gather(
        *(
            seeded.update_custody_test_result(
                names[k % agents], {"passed": k % 4 != 0, "score": 60, "xp_awarded": 2}
            )
            for k in range(n)
        )
    )
    total = sum([(await seeded.get_custody_metrics(a)).total_tests_given for a in names])
    xp = sum([(await seeded.get_custody_metrics(a)).xp for a in names])
    assert total == n and xp == 2 * n
