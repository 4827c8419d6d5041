"""The verification operations over HTTP: same names and return types as the facade's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, TypeAdapter

from evalledger.audit.client import query
from evalledger.db.page import Page
from evalledger.sdk.http import HttpBase
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

V1 = "/api/v1"


def body(model: type[BaseModel], value: Any) -> Any:
    """A request body validated locally first (same errors as the in-process ledger)."""
    parsed = value if isinstance(value, model) else model.model_validate(value or {})
    return parsed.model_dump(mode="json", exclude_unset=True)


def seg(value: object) -> str:
    return quote(str(value), safe="")


def as_list(model: type[BaseModel], data: Any) -> Any:
    return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]


class VerificationClient(HttpBase):
    async def create_claim(self, claim: ClaimIn | Mapping[str, Any]) -> ClaimOut:
        data = await self._request("POST", f"{V1}/claims", json=body(ClaimIn, claim))
        return ClaimOut.model_validate(data)

    async def get_claim(self, claim_id: str) -> ClaimOut:
        return ClaimOut.model_validate(await self._request("GET", f"{V1}/claims/{seg(claim_id)}"))

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
        params = query(
            claim_type=claim_type,
            source=source,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
        data = await self._request("GET", f"{V1}/claims", params=params)
        return Page[ClaimOut].model_validate(data)

    async def create_verification(
        self,
        verification: VerificationIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> VerificationOut:
        data = await self._request(
            "POST",
            f"{V1}/verifications",
            json=body(VerificationIn, verification),
            idempotency_key=idempotency_key,
        )
        return VerificationOut.model_validate(data)

    async def get_by_claim_id(self, claim_id: str) -> list[VerificationOut]:
        data = await self._request("GET", f"{V1}/claims/{seg(claim_id)}/verifications")
        return as_list(VerificationOut, data)  # type: ignore[no-any-return]

    async def get_recent_verifications(
        self, limit: int = 100, *, framework: str | None = None, cursor: str | None = None
    ) -> Page[VerificationOut]:
        params = query(limit=limit, framework=framework, cursor=cursor)
        data = await self._request("GET", f"{V1}/verifications", params=params)
        return Page[VerificationOut].model_validate(data)

    async def framework_metrics(self, since: datetime | None = None) -> list[FrameworkStats]:
        data = await self._request("GET", f"{V1}/verifications/metrics", params=query(since=since))
        return as_list(FrameworkStats, data)  # type: ignore[no-any-return]

    async def compute_consensus(self, claim_id: str, rule: str = "majority") -> ConsensusOut:
        data = await self._request(
            "POST",
            f"{V1}/claims/{seg(claim_id)}/consensus",
            params={"rule": rule},
            retry_safe=True,  # recomputing replaces the decision: safe to repeat
        )
        return ConsensusOut.model_validate(data)

    async def get_consensus(self, claim_id: str) -> ConsensusOut:
        data = await self._request("GET", f"{V1}/claims/{seg(claim_id)}/consensus")
        return ConsensusOut.model_validate(data)

    async def create_verification_request(
        self, request: VerificationRequestIn | Mapping[str, Any]
    ) -> VerificationRequestOut:
        data = await self._request(
            "POST", f"{V1}/verification-requests", json=body(VerificationRequestIn, request)
        )
        return VerificationRequestOut.model_validate(data)

    async def get_pending_requests(self, limit: int = 10) -> list[VerificationRequestOut]:
        data = await self._request(
            "GET", f"{V1}/verification-requests/pending", params={"limit": limit}
        )
        return as_list(VerificationRequestOut, data)  # type: ignore[no-any-return]

    async def update_request_status(self, request_id: str, status: str) -> VerificationRequestOut:
        data = await self._request(
            "PATCH",
            f"{V1}/verification-requests/{seg(request_id)}",
            json=body(RequestStatusIn, {"status": status}),
        )
        return VerificationRequestOut.model_validate(data)

    async def add_training_data(self, data: TrainingDataIn | Mapping[str, Any]) -> TrainingDataOut:
        out = await self._request("POST", f"{V1}/training-data", json=body(TrainingDataIn, data))
        return TrainingDataOut.model_validate(out)

    async def list_training_data(
        self,
        *,
        framework: str | None = None,
        used_in_training: bool | None = None,
        batch_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[TrainingDataOut]:
        params = query(
            framework=framework,
            used_in_training=used_in_training,
            batch_id=batch_id,
            limit=limit,
            cursor=cursor,
        )
        data = await self._request("GET", f"{V1}/training-data", params=params)
        return Page[TrainingDataOut].model_validate(data)

    async def claim_training_batch(
        self, framework: str, size: int, *, batch_id: str | None = None
    ) -> TrainingBatch:
        payload = body(BatchClaimIn, {"framework": framework, "size": size, "batch_id": batch_id})
        data = await self._request("POST", f"{V1}/training-data/batches", json=payload)
        return TrainingBatch.model_validate(data)

    async def create_checkpoint(
        self, checkpoint: CheckpointIn | Mapping[str, Any]
    ) -> CheckpointOut:
        data = await self._request("POST", f"{V1}/checkpoints", json=body(CheckpointIn, checkpoint))
        return CheckpointOut.model_validate(data)

    async def activate_checkpoint(self, checkpoint_id: uuid.UUID | str) -> CheckpointOut:
        data = await self._request(
            "POST", f"{V1}/checkpoints/{seg(checkpoint_id)}/activate", retry_safe=True
        )
        return CheckpointOut.model_validate(data)

    async def get_checkpoint(self, checkpoint_id: uuid.UUID | str) -> CheckpointOut:
        data = await self._request("GET", f"{V1}/checkpoints/{seg(checkpoint_id)}")
        return CheckpointOut.model_validate(data)

    async def list_checkpoints(
        self,
        *,
        model_name: str | None = None,
        framework: str | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[CheckpointOut]:
        params = query(
            model_name=model_name,
            framework=framework,
            is_active=is_active,
            limit=limit,
            cursor=cursor,
        )
        data = await self._request("GET", f"{V1}/checkpoints", params=params)
        return Page[CheckpointOut].model_validate(data)

    async def get_active_checkpoint(
        self, model_name: str, framework: str | None = None
    ) -> CheckpointOut:
        params = query(model_name=model_name, framework=framework)
        data = await self._request("GET", f"{V1}/checkpoints/active", params=params)
        return CheckpointOut.model_validate(data)

    async def heartbeat(self, beat: HeartbeatIn | Mapping[str, Any]) -> ServiceHealthOut:
        data = await self._request(
            "POST",
            f"{V1}/service-health/heartbeats",
            json=body(HeartbeatIn, beat),
            retry_safe=True,  # an upsert: repeating it is harmless
        )
        return ServiceHealthOut.model_validate(data)

    async def stale_instances(
        self, threshold_seconds: float, *, service_name: str | None = None
    ) -> list[ServiceHealthOut]:
        params = query(threshold_seconds=threshold_seconds, service_name=service_name)
        data = await self._request("GET", f"{V1}/service-health/stale", params=params)
        return as_list(ServiceHealthOut, data)  # type: ignore[no-any-return]

    async def list_service_health(self, service_name: str | None = None) -> list[ServiceHealthOut]:
        data = await self._request(
            "GET", f"{V1}/service-health", params=query(service_name=service_name)
        )
        return as_list(ServiceHealthOut, data)  # type: ignore[no-any-return]
