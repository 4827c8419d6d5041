"""Claims, verifications, consensus, training data, checkpoints and service health on the SDK."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError

from evalledger.db.repository import Page
from evalledger.errors import ConflictError, parse_uuid
from evalledger.sdk.base import LedgerBase
from evalledger.uow import UnitOfWork
from evalledger.verification.ops import OpsService
from evalledger.verification.ops_schemas import (
    BatchClaimIn,
    CheckpointIn,
    CheckpointOut,
    HeartbeatIn,
    ServiceHealthOut,
    TrainingBatch,
    TrainingDataIn,
    TrainingDataOut,
)
from evalledger.verification.schemas import (
    ClaimIn,
    ClaimOut,
    ConsensusOut,
    FrameworkStats,
    RequestStatusIn,
    VerificationIn,
    VerificationOut,
    VerificationRequestIn,
    VerificationRequestOut,
)
from evalledger.verification.service import VerificationService

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

#: Attempts of a write whose race the database settles with a unique violation.
RACE_ATTEMPTS = 5


def as_model(cls: type[M], value: M | Mapping[str, Any]) -> M:
    return value if isinstance(value, cls) else cls.model_validate(value)


async def retry_on_race(
    ledger: LedgerBase, work: Callable[[UnitOfWork], Awaitable[T]], what: str
) -> T:
    """Run ``work`` in a write unit of work; if a concurrent writer made the database refuse
    it with a unique violation, start again on fresh data; after several losses, 409."""
    for _ in range(RACE_ATTEMPTS):
        try:
            async with ledger._write() as uow:
                return await work(uow)
        except IntegrityError:
            continue
    raise ConflictError(f"{what} kept colliding with concurrent writes; retry")


class VerificationFacade(LedgerBase):
    # -- claims and verifications ------------------------------------------------------

    async def create_claim(self, claim: ClaimIn | Mapping[str, Any]) -> ClaimOut:
        body = as_model(ClaimIn, claim)
        async with self._write() as uow:
            return await VerificationService(uow).create_claim(body)

    async def get_claim(self, claim_id: str) -> ClaimOut:
        async with self._read() as uow:
            return await VerificationService(uow).get_claim(claim_id)

    async def list_claims(
        self,
        *,
        claim_type: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[ClaimOut]:
        async with self._read() as uow:
            return await VerificationService(uow).list_claims(
                claim_type=claim_type,
                source=source,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )

    async def create_verification(
        self,
        verification: VerificationIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> VerificationOut:
        body = as_model(VerificationIn, verification)
        async with self._write() as uow:
            return await VerificationService(uow).create_verification(
                body, idempotency_key=idempotency_key
            )

    async def get_by_claim_id(self, claim_id: str) -> list[VerificationOut]:
        async with self._read() as uow:
            return await VerificationService(uow).get_by_claim_id(claim_id)

    async def get_recent_verifications(
        self, limit: int = 100, *, framework: str | None = None, cursor: str | None = None
    ) -> Page[VerificationOut]:
        async with self._read() as uow:
            return await VerificationService(uow).get_recent_verifications(
                limit, framework=framework, cursor=cursor
            )

    async def framework_metrics(self, since: datetime | None = None) -> list[FrameworkStats]:
        async with self._read() as uow:
            return await VerificationService(uow).framework_metrics(since)

    # -- consensus ---------------------------------------------------------------------

    async def compute_consensus(self, claim_id: str, rule: str = "majority") -> ConsensusOut:
        async def work(uow: UnitOfWork) -> ConsensusOut:
            return await VerificationService(uow).compute_consensus(claim_id, rule)

        return await retry_on_race(self, work, f"consensus of claim {claim_id!r}")

    async def get_consensus(self, claim_id: str) -> ConsensusOut:
        async with self._read() as uow:
            return await VerificationService(uow).get_consensus(claim_id)

    # -- verification requests ---------------------------------------------------------

    async def create_verification_request(
        self, request: VerificationRequestIn | Mapping[str, Any]
    ) -> VerificationRequestOut:
        body = as_model(VerificationRequestIn, request)
        async with self._write() as uow:
            return await VerificationService(uow).create_verification_request(body)

    async def get_pending_requests(self, limit: int = 10) -> list[VerificationRequestOut]:
        async with self._read() as uow:
            return await VerificationService(uow).get_pending_requests(limit)

    async def update_request_status(self, request_id: str, status: str) -> VerificationRequestOut:
        body = RequestStatusIn.model_validate({"status": status})
        async with self._write() as uow:
            return await VerificationService(uow).update_request_status(request_id, body.status)

    # -- training data -----------------------------------------------------------------

    async def add_training_data(self, data: TrainingDataIn | Mapping[str, Any]) -> TrainingDataOut:
        body = as_model(TrainingDataIn, data)
        async with self._write() as uow:
            return await OpsService(uow).add_training_data(body)

    async def list_training_data(
        self,
        *,
        framework: str | None = None,
        used_in_training: bool | None = None,
        batch_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[TrainingDataOut]:
        async with self._read() as uow:
            return await OpsService(uow).list_training_data(
                framework=framework,
                used_in_training=used_in_training,
                batch_id=batch_id,
                limit=limit,
                cursor=cursor,
            )

    async def claim_training_batch(
        self, framework: str, size: int, *, batch_id: str | None = None
    ) -> TrainingBatch:
        body = BatchClaimIn(framework=framework, size=size, batch_id=batch_id)
        async with self._write() as uow:
            return await OpsService(uow).claim_training_batch(body)

    # -- checkpoints -------------------------------------------------------------------

    async def create_checkpoint(
        self, checkpoint: CheckpointIn | Mapping[str, Any]
    ) -> CheckpointOut:
        body = as_model(CheckpointIn, checkpoint)

        async def work(uow: UnitOfWork) -> CheckpointOut:
            return await OpsService(uow).create_checkpoint(body)

        return await retry_on_race(self, work, f"checkpoint {body.model_name!r}")

    async def activate_checkpoint(self, checkpoint_id: uuid.UUID | str) -> CheckpointOut:
        cid = parse_uuid(checkpoint_id, "checkpoint_id")

        async def work(uow: UnitOfWork) -> CheckpointOut:
            return await OpsService(uow).activate_checkpoint(cid)

        return await retry_on_race(self, work, f"activation of checkpoint {cid}")

    async def get_checkpoint(self, checkpoint_id: uuid.UUID | str) -> CheckpointOut:
        async with self._read() as uow:
            return await OpsService(uow).get_checkpoint(parse_uuid(checkpoint_id, "checkpoint_id"))

    async def list_checkpoints(
        self,
        *,
        model_name: str | None = None,
        framework: str | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[CheckpointOut]:
        async with self._read() as uow:
            return await OpsService(uow).list_checkpoints(
                model_name=model_name,
                framework=framework,
                is_active=is_active,
                limit=limit,
                cursor=cursor,
            )

    async def get_active_checkpoint(
        self, model_name: str, framework: str | None = None
    ) -> CheckpointOut:
        async with self._read() as uow:
            return await OpsService(uow).get_active_checkpoint(model_name, framework)

    # -- service health ----------------------------------------------------------------

    async def heartbeat(self, beat: HeartbeatIn | Mapping[str, Any]) -> ServiceHealthOut:
        body = as_model(HeartbeatIn, beat)

        async def work(uow: UnitOfWork) -> ServiceHealthOut:
            return await OpsService(uow).heartbeat(body)

        return await retry_on_race(self, work, "heartbeat")

    async def stale_instances(
        self, threshold_seconds: float, *, service_name: str | None = None
    ) -> list[ServiceHealthOut]:
        async with self._read() as uow:
            return await OpsService(uow).stale_instances(threshold_seconds, service_name)

    async def list_service_health(self, service_name: str | None = None) -> list[ServiceHealthOut]:
        async with self._read() as uow:
            return await OpsService(uow).list_service_health(service_name)
