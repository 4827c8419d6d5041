"""Training data batches, model checkpoints and service health, on both backends."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork
from evalledger.verification.models import ServiceHealth


async def other_project(ledger: Ledger, name: str = "other") -> Ledger:
    async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
        project = await tenancy.create_project(uow, name)
    return ledger.in_project(project.id)


async def _rows(ledger: Ledger, framework: str, n: int) -> None:
    for i in range(n):
        await ledger.add_training_data(
            {
                "framework": framework,
                "claim_text": f"claim {i}",
                "evidence": {"i": i},
                "validity": i % 2 == 0,
                "confidence": 0.5,
            }
        )


async def test_training_data_links_claim_and_filters_unused(ledger: Ledger) -> None:
    claim = await ledger.create_claim({"external_id": "c", "content": "x"})
    row = await ledger.add_training_data(
        {
            "framework": "f",
            "claim_id": claim.id,
            "claim_text": "x",
            "evidence": [],
            "validity": True,
        }
    )
    assert row.claim_id == claim.id and row.used_in_training is False
    other = await other_project(ledger)
    with pytest.raises(NotFoundError):  # another project's claim cannot be linked
        await other.add_training_data(
            {
                "framework": "f",
                "claim_id": claim.id,
                "claim_text": "x",
                "evidence": [],
                "validity": True,
            }
        )
    await _rows(ledger, "g", 2)
    page = await ledger.list_training_data(framework="g", used_in_training=False)
    assert len(page.items) == 2


async def test_batch_claim_marks_rows_and_runs_dry(ledger: Ledger) -> None:
    await _rows(ledger, "empirical", 5)
    await _rows(ledger, "logical", 2)
    first = await ledger.claim_training_batch("empirical", 3)
    assert len(first.items) == 3
    assert all(i.used_in_training and i.training_batch_id == first.batch_id for i in first.items)
    second = await ledger.claim_training_batch("empirical", 3, batch_id="b-2")
    assert len(second.items) == 2 and second.batch_id == "b-2"
    assert (await ledger.claim_training_batch("empirical", 3)).items == []
    with pytest.raises(ConflictError):
        await ledger.claim_training_batch("logical", 1, batch_id="b-2")
    assert len((await ledger.list_training_data(batch_id="b-2")).items) == 2
    unused = await ledger.list_training_data(framework="logical", used_in_training=False)
    assert len(unused.items) == 2  # other frameworks untouched


async def test_concurrent_batch_claims_never_share_a_row(ledger: Ledger) -> None:
    await _rows(ledger, "empirical", 60)
    batches = await asyncio.gather(
        *(ledger.claim_training_batch("empirical", 7) for _ in range(12))
    )
    ids = [item.id for batch in batches for item in batch.items]
    assert len(ids) == len(set(ids)) == 60  # every row claimed exactly once
    for batch in batches:
        assert all(item.training_batch_id == batch.batch_id for item in batch.items)
    stored = await ledger.list_training_data(framework="empirical", limit=1000)
    by_batch: dict[str | None, int] = {}
    for item in stored.items:
        by_batch[item.training_batch_id] = by_batch.get(item.training_batch_id, 0) + 1
    assert by_batch == {b.batch_id: len(b.items) for b in batches if b.items}


def _ckpt(version: str, *, framework: str | None = "empirical", active: bool = False) -> dict:
    return {
        "model_name": "verifier",
        "framework": framework,
        "version": version,
        "checkpoint_path": f"/ckpt/{version}",
        "metrics": {"acc": 0.9},
        "is_active": active,
    }


async def test_activation_deactivates_the_others(ledger: Ledger) -> None:
    v1 = await ledger.create_checkpoint(_ckpt("v1", active=True))
    v2 = await ledger.create_checkpoint(_ckpt("v2"))
    other_fw = await ledger.create_checkpoint(_ckpt("v3", framework="logical", active=True))
    no_fw = await ledger.create_checkpoint(_ckpt("v4", framework=None, active=True))
    assert v1.is_active and not v2.is_active
    await ledger.activate_checkpoint(v2.id)
    assert (await ledger.get_active_checkpoint("verifier", "empirical")).id == v2.id
    assert not (await ledger.get_checkpoint(v1.id)).is_active
    assert (await ledger.get_active_checkpoint("verifier", "logical")).id == other_fw.id
    assert (await ledger.get_active_checkpoint("verifier")).id == no_fw.id
    with pytest.raises(ConflictError):
        await ledger.create_checkpoint(_ckpt("v1"))
    listed = await ledger.list_checkpoints(model_name="verifier", is_active=True)
    assert {c.version for c in listed.items} == {"v2", "v3", "v4"}
    with pytest.raises(NotFoundError):
        await ledger.get_active_checkpoint("unknown")
    other = await other_project(ledger)
    with pytest.raises(NotFoundError):
        await other.activate_checkpoint(v1.id)


@pytest.mark.parametrize("framework", ["empirical", None])
async def test_concurrent_activations_leave_exactly_one_active(
    ledger: Ledger, framework: str | None
) -> None:
    created = [
        await ledger.create_checkpoint(_ckpt(f"v{i}", framework=framework)) for i in range(8)
    ]
    await asyncio.gather(*(ledger.activate_checkpoint(c.id) for c in created * 2))
    active = await ledger.list_checkpoints(model_name="verifier", is_active=True)
    assert len(active.items) == 1


async def test_concurrent_active_creations_leave_exactly_one_active(ledger: Ledger) -> None:
    made = await asyncio.gather(
        *(ledger.create_checkpoint(_ckpt(f"v{i}", active=True)) for i in range(10))
    )
    assert len(made) == 10
    active = await ledger.list_checkpoints(model_name="verifier", is_active=True)
    assert len(active.items) == 1


async def test_heartbeats_upsert_and_stale_query(ledger: Ledger) -> None:
    first = await ledger.heartbeat({"service_name": "api", "instance_id": "i1"})
    again = await ledger.heartbeat(
        {"service_name": "api", "instance_id": "i1", "status": "degraded"}
    )
    assert again.id == first.id and again.status == "degraded"
    assert again.last_heartbeat >= first.last_heartbeat
    await ledger.heartbeat({"service_name": "api", "instance_id": "i2"})
    await ledger.heartbeat({"service_name": "worker", "instance_id": "w1"})
    async with UnitOfWork(ledger.db) as uow:  # i1 and w1 went quiet ten minutes ago
        await uow.session.execute(
            update(ServiceHealth)
            .where(ServiceHealth.instance_id.in_(["i1", "w1"]))
            .values(last_heartbeat=utcnow() - timedelta(minutes=10))
        )
    stale = await ledger.stale_instances(300)
    assert {s.instance_id for s in stale} == {"i1", "w1"}
    assert [s.instance_id for s in await ledger.stale_instances(300, service_name="api")] == ["i1"]
    assert await ledger.stale_instances(3600) == []
    assert len(await ledger.list_service_health()) == 3
    await asyncio.gather(
        *(ledger.heartbeat({"service_name": "x", "instance_id": "same"}) for _ in range(10))
    )
    assert len(await ledger.list_service_health("x")) == 1


async def test_mutations_are_audited(ledger: Ledger) -> None:
    await ledger.create_claim({"external_id": "c", "content": "x"})
    c = await ledger.create_checkpoint(_ckpt("v1", active=True))
    page = await ledger.list_audit_log(entity_type="model_checkpoint")
    assert {e.action for e in page.items} == {"create", "activate"}
    assert all(e.entity_id == str(c.id) for e in page.items)
    claims = await ledger.list_audit_log(entity_type="claim", entity_id="c", action="create")
    assert len(claims.items) == 1
    future = await ledger.list_audit_log(since=utcnow() + timedelta(hours=1))
    assert future.items == []
    first = await ledger.list_audit_log(limit=1)
    assert first.next_cursor is not None
    rest = await ledger.list_audit_log(limit=100, cursor=first.next_cursor)
    assert first.items[0].id not in {e.id for e in rest.items}
    other = await other_project(ledger)
    assert (await other.list_audit_log()).items == []


async def test_database_itself_refuses_a_second_active_checkpoint(ledger: Ledger) -> None:
    """The partial unique indexes hold even for writes that bypass the service (and the
    unit of work raises the violation as the project's ConflictError, not SQLAlchemy's)."""
    from evalledger.errors import ConflictError
    from evalledger.verification.models import ModelCheckpoint

    for framework in ("empirical", None):
        async with UnitOfWork(ledger.db) as uow:
            uow.session.add(
                ModelCheckpoint(
                    model_name="m",
                    framework=framework,
                    version=f"a-{framework}",
                    checkpoint_path="/a",
                    metrics={},
                    is_active=True,
                )
            )
        with pytest.raises(ConflictError):
            async with UnitOfWork(ledger.db) as uow:
                uow.session.add(
                    ModelCheckpoint(
                        model_name="m",
                        framework=framework,
                        version=f"b-{framework}",
                        checkpoint_path="/b",
                        metrics={},
                        is_active=True,
                    )
                )
    # inactive ones and other models are unconstrained
    async with UnitOfWork(ledger.db) as uow:
        uow.session.add_all(
            [
                ModelCheckpoint(
                    model_name="m",
                    framework="empirical",
                    version="c",
                    checkpoint_path="/c",
                    metrics={},
                    is_active=False,
                ),
                ModelCheckpoint(
                    model_name="n",
                    framework="empirical",
                    version="a",
                    checkpoint_path="/n",
                    metrics={},
                    is_active=True,
                ),
            ]
        )
    assert len((await ledger.list_checkpoints(is_active=True)).items) == 3
