"""REST under ``/api/v1``: claims, verifications, consensus, verification requests, training
data, checkpoints and service health. Thin: parse, call the ledger, return."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Path, Query

from evalledger.api.deps import IdempotencyKey, Reader, Writer
from evalledger.api.types import IsoDatetime
from evalledger.db.repository import Page
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
    ConsensusRule,
    FrameworkStats,
    RequestStatusIn,
    VerificationIn,
    VerificationOut,
    VerificationRequestIn,
    VerificationRequestOut,
)

router = APIRouter(prefix="/api/v1", tags=["verification"])

ClaimPath = Path(min_length=1, max_length=255, description="the claim's external_id")
Limit = Query(50, ge=1, le=1000)
Cursor = Query(None, max_length=200)


@router.post("/claims", response_model=ClaimOut, status_code=201, summary="Create a claim")
async def create_claim(body: ClaimIn, ledger: Writer) -> ClaimOut:
    return await ledger.create_claim(body)


@router.get("/claims", response_model=Page[ClaimOut], summary="List claims, newest first")
async def list_claims(
    ledger: Reader,
    claim_type: str | None = Query(None, max_length=100),
    source: str | None = Query(None, max_length=255),
    since: IsoDatetime | None = None,
    until: IsoDatetime | None = None,
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> Page[ClaimOut]:
    return await ledger.list_claims(
        claim_type=claim_type, source=source, since=since, until=until, limit=limit, cursor=cursor
    )


@router.get("/claims/{claim_id}", response_model=ClaimOut, summary="One claim")
async def get_claim(ledger: Reader, claim_id: str = ClaimPath) -> ClaimOut:
    return await ledger.get_claim(claim_id)


@router.get(
    "/claims/{claim_id}/verifications",
    response_model=list[VerificationOut],
    summary="A claim's verifications, oldest first",
)
async def claim_verifications(ledger: Reader, claim_id: str = ClaimPath) -> list[VerificationOut]:
    return await ledger.get_by_claim_id(claim_id)


@router.post(
    "/claims/{claim_id}/consensus",
    response_model=ConsensusOut,
    summary="Compute (or recompute) a claim's consensus decision",
    description="Uses the newest verification of each framework; every one needs a boolean "
    "`result.valid` (422 otherwise). Recomputing replaces the stored decision.",
)
async def compute_consensus(
    ledger: Writer, claim_id: str = ClaimPath, rule: ConsensusRule = Query("majority")
) -> ConsensusOut:
    return await ledger.compute_consensus(claim_id, rule)


@router.get("/claims/{claim_id}/consensus", response_model=ConsensusOut, summary="The decision")
async def get_consensus(ledger: Reader, claim_id: str = ClaimPath) -> ConsensusOut:
    return await ledger.get_consensus(claim_id)


@router.post(
    "/verifications", response_model=VerificationOut, status_code=201, summary="Record one"
)
async def create_verification(
    body: VerificationIn, ledger: Writer, key: IdempotencyKey = None
) -> VerificationOut:
    return await ledger.create_verification(body, idempotency_key=key)


@router.get("/verifications", response_model=Page[VerificationOut], summary="Recent verifications")
async def recent_verifications(
    ledger: Reader,
    framework: str | None = Query(None, max_length=50),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Cursor,
) -> Page[VerificationOut]:
    return await ledger.get_recent_verifications(limit, framework=framework, cursor=cursor)


@router.get(
    "/verifications/metrics",
    response_model=list[FrameworkStats],
    summary="Per-framework count, mean confidence and mean processing time",
)
async def framework_metrics(
    ledger: Reader, since: IsoDatetime | None = None
) -> list[FrameworkStats]:
    return await ledger.framework_metrics(since)


@router.post(
    "/verification-requests",
    response_model=VerificationRequestOut,
    status_code=201,
    summary="Queue a verification request",
)
async def create_request(body: VerificationRequestIn, ledger: Writer) -> VerificationRequestOut:
    return await ledger.create_verification_request(body)


@router.get(
    "/verification-requests/pending",
    response_model=list[VerificationRequestOut],
    summary="Pending requests, highest priority then oldest first",
)
async def pending_requests(
    ledger: Reader, limit: int = Query(10, ge=1, le=1000)
) -> list[VerificationRequestOut]:
    return await ledger.get_pending_requests(limit)


@router.patch(
    "/verification-requests/{request_id}",
    response_model=VerificationRequestOut,
    summary="Set a request's status",
)
async def update_request(
    body: RequestStatusIn, ledger: Writer, request_id: str = Path(min_length=1, max_length=255)
) -> VerificationRequestOut:
    return await ledger.update_request_status(request_id, body.status)


@router.post("/training-data", response_model=TrainingDataOut, status_code=201, summary="Add a row")
async def add_training_data(body: TrainingDataIn, ledger: Writer) -> TrainingDataOut:
    return await ledger.add_training_data(body)


@router.get("/training-data", response_model=Page[TrainingDataOut], summary="List, oldest first")
async def list_training_data(
    ledger: Reader,
    framework: str | None = Query(None, max_length=50),
    used_in_training: bool | None = None,
    batch_id: str | None = Query(None, max_length=255),
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> Page[TrainingDataOut]:
    return await ledger.list_training_data(
        framework=framework,
        used_in_training=used_in_training,
        batch_id=batch_id,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/training-data/batches",
    response_model=TrainingBatch,
    status_code=201,
    summary="Claim a batch of unused rows",
    description="Marks up to `size` unused rows of `framework` as used with a batch id, "
    "atomically: concurrent claims never take the same row. Fewer rows (or none) when "
    "fewer are left.",
)
async def claim_batch(body: BatchClaimIn, ledger: Writer) -> TrainingBatch:
    return await ledger.claim_training_batch(body.framework, body.size, batch_id=body.batch_id)


@router.post("/checkpoints", response_model=CheckpointOut, status_code=201, summary="Register")
async def create_checkpoint(body: CheckpointIn, ledger: Writer) -> CheckpointOut:
    return await ledger.create_checkpoint(body)


@router.get("/checkpoints", response_model=Page[CheckpointOut], summary="List checkpoints")
async def list_checkpoints(
    ledger: Reader,
    model_name: str | None = Query(None, max_length=255),
    framework: str | None = Query(None, max_length=50),
    is_active: bool | None = None,
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> Page[CheckpointOut]:
    return await ledger.list_checkpoints(
        model_name=model_name, framework=framework, is_active=is_active, limit=limit, cursor=cursor
    )


@router.get("/checkpoints/active", response_model=CheckpointOut, summary="The active one")
async def active_checkpoint(
    ledger: Reader,
    model_name: str = Query(min_length=1, max_length=255),
    framework: str | None = Query(None, max_length=50),
) -> CheckpointOut:
    return await ledger.get_active_checkpoint(model_name, framework)


@router.get("/checkpoints/{checkpoint_id}", response_model=CheckpointOut, summary="One")
async def get_checkpoint(checkpoint_id: uuid.UUID, ledger: Reader) -> CheckpointOut:
    return await ledger.get_checkpoint(checkpoint_id)


@router.post(
    "/checkpoints/{checkpoint_id}/activate",
    response_model=CheckpointOut,
    summary="Activate (deactivates the model's other checkpoints of the same framework)",
)
async def activate_checkpoint(checkpoint_id: uuid.UUID, ledger: Writer) -> CheckpointOut:
    return await ledger.activate_checkpoint(checkpoint_id)


@router.post(
    "/service-health/heartbeats", response_model=ServiceHealthOut, summary="Record a heartbeat"
)
async def heartbeat(body: HeartbeatIn, ledger: Writer) -> ServiceHealthOut:
    return await ledger.heartbeat(body)


@router.get("/service-health", response_model=list[ServiceHealthOut], summary="All instances")
async def service_health(
    ledger: Reader, service_name: str | None = Query(None, max_length=50)
) -> list[ServiceHealthOut]:
    return await ledger.list_service_health(service_name)


@router.get(
    "/service-health/stale",
    response_model=list[ServiceHealthOut],
    summary="Instances whose last heartbeat is older than the threshold",
)
async def stale_instances(
    ledger: Reader,
    threshold_seconds: float = Query(60.0, ge=0, le=10_000_000),
    service_name: str | None = Query(None, max_length=50),
) -> list[ServiceHealthOut]:
    return await ledger.stale_instances(threshold_seconds, service_name=service_name)
