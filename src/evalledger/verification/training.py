"""Training data, model checkpoints and service health: repositories and service.

* A training batch is claimed with one ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE
  SKIP LOCKED)``: on PostgreSQL concurrent claims skip each other's rows; on SQLite writers are
  serialised (``BEGIN IMMEDIATE``) and ``FOR UPDATE`` is not emitted. No row joins two batches.
* Activating a checkpoint locks every checkpoint of its (model, framework) in id order,
  deactivates the others and activates it, in one transaction. Partial unique indexes are the
  last wall: a race they catch (a unique violation) rolls back to a savepoint and the
  activation runs again (:func:`evalledger.db.translate.retry_on_race`).
* Heartbeats are one upsert per (service, instance); an instance is stale when its last
  heartbeat is older than a threshold. Only new instances and status changes are audited
  (a heartbeat every few seconds is telemetry, not a change worth an audit row).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, select, update

from evalledger.db.repository import Page, Repository, row_to_dict
from evalledger.db.translate import insert_or_conflict, retry_on_race
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.uow import UnitOfWork
from evalledger.verification.models import Claim, ModelCheckpoint, ServiceHealth, TrainingData
from evalledger.verification.training_schemas import (
    BatchClaimIn,
    CheckpointIn,
    CheckpointOut,
    HeartbeatIn,
    ServiceHealthOut,
    TrainingBatch,
    TrainingDataIn,
    TrainingDataOut,
)


class TrainingDataRepository(Repository[TrainingData]):
    model = TrainingData

    async def claim_batch(self, framework: str, size: int, batch_id: str) -> Sequence[TrainingData]:
        """Mark up to ``size`` unused rows of ``framework`` as used by ``batch_id``; atomic."""
        pick = (
            select(TrainingData.id)
            .where(
                TrainingData.project_id == self.uow.project_id,
                TrainingData.framework == framework,
                TrainingData.used_in_training.is_(False),
            )
            .order_by(TrainingData.created_at, TrainingData.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
        # Two statements, not ``UPDATE ... WHERE id IN (SELECT ... LIMIT n)``: PostgreSQL may
        # evaluate such a subquery more than once (it did under row-level security) and then
        # update more than ``n`` rows. The picked rows stay locked until the commit.
        ids = list((await self.session.execute(pick)).scalars())
        if not ids:
            return []
        await self.session.execute(
            update(TrainingData)
            .where(TrainingData.id.in_(ids))
            .values(used_in_training=True, training_batch_id=batch_id)
            .execution_options(synchronize_session=False)
        )
        self.session.expire_all()
        rows = await self.session.execute(
            self.select()
            .where(TrainingData.id.in_(ids))
            .order_by(TrainingData.created_at, TrainingData.id)
        )
        return list(rows.scalars())


class CheckpointRepository(Repository[ModelCheckpoint]):
    model = ModelCheckpoint

    def _group(self, model_name: str, framework: str | None) -> list[ColumnElement[bool]]:
        return [
            ModelCheckpoint.project_id == self.uow.project_id,
            ModelCheckpoint.model_name == model_name,
            ModelCheckpoint.framework.is_not_distinct_from(framework),
        ]

    async def activate(self, checkpoint: ModelCheckpoint) -> None:
        group = self._group(checkpoint.model_name, checkpoint.framework)
        # Lock the whole group in one order, so concurrent activations queue, never deadlock.
        await self.session.execute(
            select(ModelCheckpoint.id).where(*group).order_by(ModelCheckpoint.id).with_for_update()
        )
        await self.session.execute(
            update(ModelCheckpoint)
            .where(*group, ModelCheckpoint.is_active.is_(True), ModelCheckpoint.id != checkpoint.id)
            .values(is_active=False)
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(ModelCheckpoint)
            .where(ModelCheckpoint.id == checkpoint.id)
            .values(is_active=True)
            .execution_options(synchronize_session=False)
        )
        await self.session.flush()
        self.session.expire_all()

    async def active(self, model_name: str, framework: str | None) -> ModelCheckpoint | None:
        stmt = self.select().where(
            *self._group(model_name, framework), ModelCheckpoint.is_active.is_(True)
        )
        row: ModelCheckpoint | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return row


class ServiceHealthRepository(Repository[ServiceHealth]):
    model = ServiceHealth


class TrainingService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.training = TrainingDataRepository(uow)
        self.checkpoints = CheckpointRepository(uow)
        self.health = ServiceHealthRepository(uow)

    # -- training data -----------------------------------------------------------------

    async def add_training_data(self, data: TrainingDataIn) -> TrainingDataOut:
        if data.claim_id is not None:
            claim = await self.uow.session.get(Claim, data.claim_id)
            if claim is None or claim.project_id != self.uow.project_id:
                raise NotFoundError(f"claim {data.claim_id} not found", field="claim_id")
        values = data.model_dump()
        values["metadata_"] = values.pop("metadata")
        row = await self.training.add(**values)
        self.uow.audit("training_data", row.id, "create", {"framework": data.framework})
        return TrainingDataOut.model_validate(row_to_dict(row))

    async def list_training_data(
        self,
        *,
        framework: str | None = None,
        used_in_training: bool | None = None,
        batch_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[TrainingDataOut]:
        rows, next_cursor = await self.training.list(
            {
                "framework": framework,
                "used_in_training": used_in_training,
                "training_batch_id": batch_id,
            },
            limit=limit,
            cursor=cursor,
            newest_first=False,
        )
        items = [TrainingDataOut.model_validate(row_to_dict(r)) for r in rows]
        return Page(items=items, next_cursor=next_cursor)

    async def claim_training_batch(self, data: BatchClaimIn) -> TrainingBatch:
        batch_id = data.batch_id or uuid.uuid4().hex
        if data.batch_id and await self.training.find_by(training_batch_id=batch_id):
            raise ConflictError(f"batch {batch_id!r} already exists", field="batch_id")
        rows = await self.training.claim_batch(data.framework, data.size, batch_id)
        self.uow.audit(
            "training_batch",
            batch_id,
            "claim",
            {"framework": data.framework, "requested": data.size, "claimed": len(rows)},
        )
        return TrainingBatch(
            batch_id=batch_id,
            framework=data.framework,
            items=[TrainingDataOut.model_validate(row_to_dict(r)) for r in rows],
        )

    # -- checkpoints -------------------------------------------------------------------

    async def create_checkpoint(self, data: CheckpointIn) -> CheckpointOut:
        def exists() -> ConflictError:
            return ConflictError(
                f"checkpoint {data.model_name!r} version {data.version!r} already exists",
                field="version",
            )

        if await self.checkpoints.find_by(model_name=data.model_name, version=data.version):
            raise exists()
        values = data.model_dump()
        activate = values.pop("is_active")
        row = await insert_or_conflict(
            self.uow, lambda: self.checkpoints.add(**values, is_active=False), exists
        )
        self.uow.audit(
            "model_checkpoint",
            row.id,
            "create",
            {"model_name": data.model_name, "version": data.version},
        )
        row_id = row.id
        if activate:
            await self._activate(row_id)
        return CheckpointOut.model_validate(row_to_dict(await self.checkpoints.get(row_id)))

    async def activate_checkpoint(self, checkpoint_id: uuid.UUID) -> CheckpointOut:
        await self.checkpoints.get(checkpoint_id)  # 404 before any lock
        await self._activate(checkpoint_id)
        return CheckpointOut.model_validate(row_to_dict(await self.checkpoints.get(checkpoint_id)))

    async def _activate(self, checkpoint_id: uuid.UUID) -> None:
        """Activate, again from a fresh read each time a concurrent activation wins the race
        for the partial unique index (a checkpoint created meanwhile is not locked)."""

        async def attempt() -> None:
            await self.checkpoints.activate(await self.checkpoints.get(checkpoint_id))

        await retry_on_race(self.uow, attempt, f"activation of checkpoint {checkpoint_id}")
        self.uow.audit("model_checkpoint", checkpoint_id, "activate", None)

    async def get_checkpoint(self, checkpoint_id: uuid.UUID) -> CheckpointOut:
        return CheckpointOut.model_validate(row_to_dict(await self.checkpoints.get(checkpoint_id)))

    async def list_checkpoints(
        self,
        *,
        model_name: str | None = None,
        framework: str | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[CheckpointOut]:
        rows, next_cursor = await self.checkpoints.list(
            {"model_name": model_name, "framework": framework, "is_active": is_active},
            limit=limit,
            cursor=cursor,
        )
        items = [CheckpointOut.model_validate(row_to_dict(r)) for r in rows]
        return Page(items=items, next_cursor=next_cursor)

    async def get_active_checkpoint(
        self, model_name: str, framework: str | None = None
    ) -> CheckpointOut:
        row = await self.checkpoints.active(model_name, framework)
        if row is None:
            raise NotFoundError(
                f"no active checkpoint of {model_name!r} (framework {framework!r})",
                field="model_name",
            )
        return CheckpointOut.model_validate(row_to_dict(row))

    # -- service health ----------------------------------------------------------------

    async def heartbeat(self, data: HeartbeatIn) -> ServiceHealthOut:
        before = await self.health.find_by(
            service_name=data.service_name, instance_id=data.instance_id
        )
        old_status = before.status if before is not None else None
        row = await self.health.upsert(
            {
                "service_name": data.service_name,
                "instance_id": data.instance_id,
                "status": data.status,
                "last_heartbeat": utcnow(),
                "metadata": data.metadata,
            },
            conflict=("project_id", "service_name", "instance_id"),
            update_columns=("status", "last_heartbeat", "metadata"),
        )
        if old_status != data.status:
            self.uow.audit(
                "service_health",
                f"{data.service_name}/{data.instance_id}",
                "register" if old_status is None else "status",
                {"from": old_status, "to": data.status},
            )
        return ServiceHealthOut.model_validate(row_to_dict(row))

    async def stale_instances(
        self, threshold_seconds: float, service_name: str | None = None
    ) -> list[ServiceHealthOut]:
        if threshold_seconds < 0:
            raise ValidationFailed("threshold_seconds must be >= 0", field="threshold_seconds")
        cutoff = utcnow() - timedelta(seconds=threshold_seconds)
        stmt = (
            self.health.where(self.health.select(), {"service_name": service_name})
            .where(ServiceHealth.last_heartbeat < cutoff)
            .order_by(ServiceHealth.last_heartbeat, ServiceHealth.id)
        )
        rows = (await self.uow.session.execute(stmt)).scalars()
        return [ServiceHealthOut.model_validate(row_to_dict(r)) for r in rows]

    async def list_service_health(self, service_name: str | None = None) -> list[ServiceHealthOut]:
        stmt = self.health.where(self.health.select(), {"service_name": service_name}).order_by(
            ServiceHealth.service_name, ServiceHealth.instance_id
        )
        rows = (await self.uow.session.execute(stmt)).scalars()
        return [ServiceHealthOut.model_validate(row_to_dict(r)) for r in rows]
