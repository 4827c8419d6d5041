"""Batch recording: one transaction, exact counters, idempotent per result, all or nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from evalledger.agents import progression
from evalledger.agents.schemas import CustodyTestIn
from evalledger.config import Settings
from evalledger.db import bulk
from evalledger.db.bulk import COPY_MIN_ROWS
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.sdk.ledger import Ledger


def _results(n: int, agents: list[str]) -> list[dict[str, object]]:
    return [
        {
            "id": str(uuid.uuid4()),
            "agent_type": agents[i % len(agents)],
            "passed": i % 4 != 0,
            "score": float(i % 100),
            "xp_awarded": i % 7,
        }
        for i in range(n)
    ]


async def test_batch_matches_one_by_one(seeded: Ledger) -> None:
    """Counters, streaks and difficulty after a batch equal the fold of the rules."""
    items = _results(300, ["guardian", "imperium", "sandbox"])
    out = await seeded.record_custody_tests(items)
    assert out.recorded == 300 and out.duplicates == 0
    for agent in ("guardian", "imperium", "sandbox"):
        mine = [r for r in items if r["agent_type"] == agent]
        expected = progression.apply_tests(
            progression.CustodyState(),
            [progression.TestOutcome(bool(r["passed"]), int(r["xp_awarded"])) for r in mine],  # type: ignore[call-overload]
        ).derived()
        got = await seeded.get_custody_metrics(agent)
        for key in (
            "total_tests_given",
            "total_tests_passed",
            "consecutive_successes",
            "consecutive_failures",
            "current_difficulty",
            "xp",
            "level",
            "custody_level",
        ):
            assert getattr(got, key) == expected[key], (agent, key)
        assert out.agents[agent].total_tests_given == len(mine)


async def test_retried_batch_changes_nothing(seeded: Ledger) -> None:
    items = _results(50, ["guardian"])
    await seeded.record_custody_tests(items)
    again = await seeded.record_custody_tests(items)
    assert again.recorded == 0 and again.duplicates == 50
    assert all(r.duplicate for r in again.results)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 50
    # Half old, half new: only the new half counts.
    mixed = items[:25] + _results(25, ["guardian"])
    out = await seeded.record_custody_tests(mixed)
    assert (out.recorded, out.duplicates) == (25, 25)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 75


async def test_a_batch_is_one_audit_row_listing_what_it_recorded(seeded: Ledger) -> None:
    """A batch is one mutation: one audit row (not one per result), named by its first id,
    listing the ids it recorded in batch order; a re-sent batch's row lists only what it
    added, and one that added nothing lists nothing."""
    first = _results(COPY_MIN_ROWS, ["guardian", "sandbox"])
    await seeded.record_custody_tests(first)
    mixed = first[:10] + _results(5, ["guardian"])
    await seeded.record_custody_tests(mixed)
    await seeded.record_custody_tests(first)  # the COPY path meets stored ids
    page = await seeded.list_audit_log(entity_type="custody_test_batch")
    assert len(page.items) == 3
    again, small, big = page.items  # newest first
    assert big.entity_id == first[0]["id"]
    assert big.changes["ids"] == [r["id"] for r in first]
    assert (small.changes["recorded"], small.changes["duplicates"]) == (5, 10)
    assert small.changes["ids"] == [r["id"] for r in mixed[10:]]
    assert (again.changes["recorded"], again.changes["ids"]) == (0, [])
    assert (await seeded.list_audit_log(entity_type="custody_test_result")).items == []


async def test_unknown_agent_writes_nothing(seeded: Ledger) -> None:
    items = _results(10, ["guardian", "ghost"])
    with pytest.raises(NotFoundError, match="ghost"):
        await seeded.record_custody_tests(items)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_repeated_id_in_one_batch_is_refused(seeded: Ledger) -> None:
    items = _results(3, ["guardian"])
    items[2]["id"] = items[0]["id"]
    with pytest.raises(ValidationFailed, match="twice"):
        await seeded.record_custody_tests(items)


async def test_id_of_another_agent_conflicts(seeded: Ledger) -> None:
    items = _results(2, ["guardian"])
    await seeded.record_custody_tests(items)
    items[0]["agent_type"] = "imperium"
    with pytest.raises(ConflictError):
        await seeded.record_custody_tests(items)
    assert (await seeded.get_custody_metrics("imperium")).total_tests_given == 0


async def test_concurrent_batches_are_exact(seeded: Ledger) -> None:
    batches = [_results(100, ["guardian", "imperium", "sandbox", "conquest"]) for _ in range(12)]
    await asyncio.gather(*(seeded.record_custody_tests(b) for b in batches))
    overview = await seeded.get_all_agent_metrics()
    assert overview.summary.total_tests_given == 1200
    expected_xp = sum(int(r["xp_awarded"]) for b in batches for r in b)  # type: ignore[call-overload]
    assert overview.summary.total_xp == expected_xp


async def test_recorder_batches_and_flushes_on_exit(seeded: Ledger) -> None:
    async with seeded.recorder(batch_size=40) as rec:
        for i in range(100):
            await rec.record("conquest", passed=i % 2 == 0, score=50)
        assert rec.recorded == 80  # two full batches so far
    assert rec.recorded == 100
    assert (await seeded.get_custody_metrics("conquest")).total_tests_given == 100


async def test_batch_over_rest(api: httpx.AsyncClient) -> None:
    items = _results(20, ["guardian", "imperium"])
    r = await api.post("/api/v1/custody-tests:batch", json={"results": items})
    assert r.status_code == 200, r.text
    assert r.json()["recorded"] == 20
    r = await api.post("/api/v1/custody-tests:batch", json={"results": []})
    assert r.status_code == 422
    bad = _results(2, ["guardian"])
    bad[1]["score"] = 500
    r = await api.post("/api/v1/custody-tests:batch", json={"results": bad})
    assert r.status_code == 422 and "score" in str(r.json()["detail"][0]["loc"])
    r = await api.post("/api/v1/custody-tests:batch", json={"results": _results(10_001, ["g"])})
    assert r.status_code == 422


async def _ledger_for(seeded: Ledger, settings: Settings, row_security: bool) -> Ledger:
    if row_security == seeded.db.row_security:
        return seeded
    return await Ledger.open(settings=settings.model_copy(update={"pg_row_security": row_security}))


@pytest.mark.parametrize("row_security", [True, False])
async def test_bulk_path_stores_what_one_by_one_stores(
    seeded: Ledger, settings: Settings, backend: str, row_security: bool
) -> None:
    """Past COPY_MIN_ROWS a batch takes each backend's bulk path (PostgreSQL: COPY into the
    table, or through a staging table under row security; SQLite: the driver's executemany),
    with values encoded by the column types: the stored cells equal the ORM path's."""
    if backend != "postgres" and not row_security:
        pytest.skip("row security is PostgreSQL's")
    ledger = await _ledger_for(seeded, settings, row_security)
    try:
        extra: dict[str, object] = {
            "timestamp": datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=2))).isoformat(),
            "ai_responses": {"a": [1, 2.5, None], "é": "ü"},
            "evaluation": [1, "x"],
            "explainability_data": None,
            "scenario": "s",
            "threshold": 0.5,
            "duration": 1.5,
            "test_difficulty": "expert",
            "learning_score_awarded": 0.25,
            "test_category": "reasoning",
        }
        items = _results(COPY_MIN_ROWS + 50, ["guardian", "imperium"])
        items[0].update(extra, test_id="bulk-1")
        out = await ledger.record_custody_tests(items)
        assert (out.recorded, out.duplicates) == (len(items), 0)
        await ledger.update_custody_test_result(
            "guardian",
            CustodyTestIn.model_validate(
                {
                    **extra,
                    "test_id": "single-1",
                    "passed": items[0]["passed"],
                    "score": items[0]["score"],
                    "xp_awarded": items[0]["xp_awarded"],
                }
            ),
        )
        sql = "SELECT * FROM custody_test_results WHERE test_id IN ('bulk-1', 'single-1')"
        async with ledger.db.engine.connect() as conn:  # raw driver values, no policies
            result = await conn.exec_driver_sql(sql + " ORDER BY test_id")
            names = list(result.keys())
            bulk, single = (dict(zip(names, row, strict=True)) for row in result.all())
        for column in ("id", "test_id", "created_at", "updated_at"):
            del bulk[column], single[column]
        assert bulk == single
        # Retried: nothing twice, counters unmoved.
        before = await ledger.get_custody_metrics("imperium")
        again = await ledger.record_custody_tests(items)
        assert (again.recorded, again.duplicates) == (0, len(items))
        assert await ledger.get_custody_metrics("imperium") == before
    finally:
        if ledger is not seeded:
            await ledger.close()


async def test_copy_falls_back_when_an_id_is_stored_after_the_lookup(
    seeded: Ledger, settings: Settings, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concurrent writer can store an id between the lookup and the COPY: the COPY's
    unique violation rolls back to its savepoint and the race-free INSERT ... ON CONFLICT
    path decides, so the answer and the counters stay exact."""
    if backend != "postgres":
        pytest.skip("COPY is PostgreSQL's")
    ledger = await _ledger_for(seeded, settings, row_security=False)
    try:
        items = _results(COPY_MIN_ROWS, ["sandbox"])
        await ledger.record_custody_tests(items)

        async def sees_nothing(*args: object) -> set[object]:
            return set()

        monkeypatch.setattr(bulk, "_pg_existing", sees_nothing)
        mixed = items[:100] + _results(COPY_MIN_ROWS, ["sandbox"])
        out = await ledger.record_custody_tests(mixed)
        assert (out.recorded, out.duplicates) == (COPY_MIN_ROWS, 100)
        assert [r.duplicate for r in out.results] == [True] * 100 + [False] * COPY_MIN_ROWS
        metrics = await ledger.get_custody_metrics("sandbox")
        assert metrics.total_tests_given == 2 * COPY_MIN_ROWS
    finally:
        await ledger.close()


async def test_bulk_insert_as_a_transactions_first_statement_stays_in_it(
    seeded: Ledger, settings: Settings, backend: str
) -> None:
    """SQLAlchemy opens the driver's transaction lazily; the bulk path's raw COPY must not run
    before it (it would autocommit): rolled back, the insert leaves nothing behind."""
    from sqlalchemy import func, select

    from evalledger.audit.models import AuditLog
    from evalledger.db.types import utcnow
    from evalledger.uow import UnitOfWork

    ledger = await _ledger_for(seeded, settings, row_security=False)
    table = AuditLog.__table__
    now = utcnow()
    columns = [
        "id", "project_id", "entity_type", "entity_id", "action", "user_id", "changes",
        "metadata", "created_at", "updated_at",
    ]  # fmt: skip
    project = ledger.actor.project_id
    rows = [
        (uuid.uuid4(), project, "probe", str(i), "create", "t", None, None, now, now)
        for i in range(COPY_MIN_ROWS + 5)
    ]
    try:

        class Abort(Exception):
            pass

        with pytest.raises(Abort):
            async with UnitOfWork(ledger.db, ledger.actor, write=True) as uow:
                inserted = await bulk.insert_new(uow.session, table, columns, rows)
                assert len(inserted) == len(rows)
                raise Abort
        async with ledger.db.engine.connect() as conn:
            probes = select(func.count()).select_from(table).where(table.c.entity_type == "probe")
            assert (await conn.execute(probes)).scalar_one() == 0
    finally:
        await ledger.close()
