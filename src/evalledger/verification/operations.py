"""The verification groups' operations (BrahminyKite's verification tables), under ``/api/v1``.

Two groups, one per service: :class:`VerificationOperations` (claims, verifications, consensus
decisions, verification requests) and :class:`TrainingOperations` (training data, model
checkpoints, service health: :mod:`evalledger.verification.training`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import Field, WithJsonSchema

from evalledger.api.types import IsoDatetime
from evalledger.operations import (
    AnyId,
    Cursor,
    IdempotencyKey,
    In,
    OperationGroup,
    PageSize,
    as_model,
    as_uuid,
    get,
    patch,
    post,
)
from evalledger.pagination import Page
from evalledger.verification.consensus_rules import CONSENSUS_RULES
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

if TYPE_CHECKING:
    from evalledger.verification.service import VerificationService
    from evalledger.verification.training import TrainingService

#: A claim's external id, as it appears in the path.
ClaimId = Annotated[str, MinLen(1), MaxLen(255), Field(description="the claim's external_id")]
#: A page size with a default (never ``None``): 1 to MAX_PAGE_SIZE, larger is refused.
Text50 = Annotated[str | None, MaxLen(50)]
Text255 = Annotated[str | None, MaxLen(255)]
#: A consensus rule's name: ``str`` for callers (as it always was), the rules' names in the
#: OpenAPI; the service refuses any other name (422 naming ``rule``).
Rule = Annotated[str, WithJsonSchema({"enum": list(CONSENSUS_RULES), "type": "string"})]


class VerificationOperations(
    OperationGroup,
    prefix="/api/v1",
    tag="verification",
    service="evalledger.verification.service:VerificationService",
):
    # -- claims and verifications ------------------------------------------------------

    @post("/claims", summary="Create a claim", status=201)
    async def create_claim(svc: VerificationService, claim: In[ClaimIn]) -> ClaimOut:
        """Record a claim under its external id (a second claim with the same id is a 409)."""
        return await svc.create_claim(as_model(ClaimIn, claim))

    @get("/claims", summary="List claims, newest first")
    async def list_claims(
        svc: VerificationService,
        *,
        claim_type: Annotated[str | None, MaxLen(100)] = None,
        source: Text255 = None,
        since: IsoDatetime | None = None,
        until: IsoDatetime | None = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[ClaimOut]:
        """Claims, newest first, optionally of one type or source and within a time range."""
        return await svc.list_claims(
            claim_type=claim_type,
            source=source,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )

    @get("/claims/{claim_id}", summary="One claim")
    async def get_claim(svc: VerificationService, claim_id: ClaimId) -> ClaimOut:
        """The claim with this external id."""
        return await svc.get_claim(claim_id)

    @get("/claims/{claim_id}/verifications", summary="A claim's verifications, oldest first")
    async def get_by_claim_id(svc: VerificationService, claim_id: ClaimId) -> list[VerificationOut]:
        """Every framework's verifications of the claim, oldest first."""
        return await svc.get_by_claim_id(claim_id)

    @post(
        "/claims/{claim_id}/consensus",
        summary="Compute (or recompute) a claim's consensus decision",
        retry_safe=True,  # recomputing replaces the decision: safe to repeat
        retry_races=True,
    )
    async def compute_consensus(
        svc: VerificationService, claim_id: ClaimId, rule: Rule = "majority"
    ) -> ConsensusOut:
        """Uses the newest verification of each framework; every one needs a boolean
        `result.valid` (422 otherwise). Recomputing replaces the stored decision."""
        return await svc.compute_consensus(claim_id, rule)

    @get("/claims/{claim_id}/consensus", summary="The decision")
    async def get_consensus(svc: VerificationService, claim_id: ClaimId) -> ConsensusOut:
        """The claim's stored consensus decision (404 until one is computed)."""
        return await svc.get_consensus(claim_id)

    @post("/verifications", summary="Record one", status=201)
    async def create_verification(
        svc: VerificationService,
        verification: In[VerificationIn],
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> VerificationOut:
        """Record one framework's verification of a claim."""
        return await svc.create_verification(
            as_model(VerificationIn, verification), idempotency_key=idempotency_key
        )

    @get("/verifications", summary="Recent verifications")
    async def get_recent_verifications(
        svc: VerificationService,
        limit: PageSize = 100,
        *,
        framework: Text50 = None,
        cursor: Cursor = None,
    ) -> Page[VerificationOut]:
        """Verifications, newest first, optionally of one framework."""
        return await svc.get_recent_verifications(limit, framework=framework, cursor=cursor)

    @get(
        "/verifications/metrics",
        summary="Per-framework count, mean confidence and mean processing time",
    )
    async def framework_metrics(
        svc: VerificationService, since: IsoDatetime | None = None
    ) -> list[FrameworkStats]:
        """Per framework: how many verifications, their mean confidence and processing time."""
        return await svc.framework_metrics(since)

    # -- verification requests ---------------------------------------------------------

    @post("/verification-requests", summary="Queue a verification request", status=201)
    async def create_verification_request(
        svc: VerificationService, request: In[VerificationRequestIn]
    ) -> VerificationRequestOut:
        """Queue a request for verification (a second one with the same id is a 409)."""
        return await svc.create_verification_request(as_model(VerificationRequestIn, request))

    @get(
        "/verification-requests/pending",
        summary="Pending requests, highest priority then oldest first",
    )
    async def get_pending_requests(
        svc: VerificationService, limit: PageSize = 10
    ) -> list[VerificationRequestOut]:
        """The requests still pending, highest priority first, then oldest first."""
        return await svc.get_pending_requests(limit)

    @patch(
        "/verification-requests/{request_id}",
        summary="Set a request's status",
        body=RequestStatusIn,
    )
    async def update_request_status(
        svc: VerificationService, request_id: Annotated[str, MinLen(1), MaxLen(255)], status: str
    ) -> VerificationRequestOut:
        """Move a request to another status (pending, processing, completed, failed)."""
        return await svc.update_request_status(request_id, status)


class TrainingOperations(
    OperationGroup,
    prefix="/api/v1",
    tag="verification",
    service="evalledger.verification.training:TrainingService",
):
    # -- training data -----------------------------------------------------------------

    @post("/training-data", summary="Add a row", status=201)
    async def add_training_data(svc: TrainingService, data: In[TrainingDataIn]) -> TrainingDataOut:
        """Add a row of training data (unused until a batch claims it)."""
        return await svc.add_training_data(as_model(TrainingDataIn, data))

    @get("/training-data", summary="List, oldest first")
    async def list_training_data(
        svc: TrainingService,
        *,
        framework: Text50 = None,
        used_in_training: bool | None = None,
        batch_id: Text255 = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[TrainingDataOut]:
        """Training data, oldest first, optionally of one framework, use or batch."""
        return await svc.list_training_data(
            framework=framework,
            used_in_training=used_in_training,
            batch_id=batch_id,
            limit=limit,
            cursor=cursor,
        )

    @post(
        "/training-data/batches",
        summary="Claim a batch of unused rows",
        status=201,
        body=BatchClaimIn,
    )
    async def claim_training_batch(
        svc: TrainingService, framework: str, size: int, *, batch_id: str | None = None
    ) -> TrainingBatch:
        """Marks up to `size` unused rows of `framework` as used with a batch id, atomically:
        concurrent claims never take the same row. Fewer rows (or none) when fewer are left."""
        return await svc.claim_training_batch(
            BatchClaimIn(framework=framework, size=size, batch_id=batch_id)
        )

    # -- checkpoints -------------------------------------------------------------------

    @post("/checkpoints", summary="Register", status=201, retry_races=True)
    async def create_checkpoint(
        svc: TrainingService, checkpoint: In[CheckpointIn]
    ) -> CheckpointOut:
        """Register a model checkpoint (``is_active``: activate it, deactivating the others)."""
        return await svc.create_checkpoint(as_model(CheckpointIn, checkpoint))

    @get("/checkpoints", summary="List checkpoints")
    async def list_checkpoints(
        svc: TrainingService,
        *,
        model_name: Text255 = None,
        framework: Text50 = None,
        is_active: bool | None = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[CheckpointOut]:
        """Checkpoints, newest first, optionally of one model or framework, or only active."""
        return await svc.list_checkpoints(
            model_name=model_name,
            framework=framework,
            is_active=is_active,
            limit=limit,
            cursor=cursor,
        )

    @get("/checkpoints/active", summary="The active one")  # before /checkpoints/{checkpoint_id}
    async def get_active_checkpoint(
        svc: TrainingService,
        model_name: Annotated[str, MinLen(1), MaxLen(255)],
        framework: Text50 = None,
    ) -> CheckpointOut:
        """The model's active checkpoint (of one framework, or of none)."""
        return await svc.get_active_checkpoint(model_name, framework)

    @get("/checkpoints/{checkpoint_id}", summary="One")
    async def get_checkpoint(svc: TrainingService, checkpoint_id: AnyId) -> CheckpointOut:
        """The checkpoint with this id."""
        return await svc.get_checkpoint(as_uuid(checkpoint_id))

    @post(
        "/checkpoints/{checkpoint_id}/activate",
        summary="Activate (deactivates the model's other checkpoints of the same framework)",
        retry_safe=True,  # activating twice leaves the same one active
        retry_races=True,
    )
    async def activate_checkpoint(svc: TrainingService, checkpoint_id: AnyId) -> CheckpointOut:
        """Make this checkpoint its model's active one (per framework)."""
        return await svc.activate_checkpoint(as_uuid(checkpoint_id))

    # -- service health ----------------------------------------------------------------

    @post(
        "/service-health/heartbeats",
        summary="Record a heartbeat",
        retry_safe=True,  # an upsert: repeating it is harmless
        retry_races=True,
    )
    async def heartbeat(svc: TrainingService, beat: In[HeartbeatIn]) -> ServiceHealthOut:
        """Record that an instance of a service is alive (one row per service and instance)."""
        return await svc.heartbeat(as_model(HeartbeatIn, beat))

    @get("/service-health", summary="All instances")
    async def list_service_health(
        svc: TrainingService, service_name: Text50 = None
    ) -> list[ServiceHealthOut]:
        """Every instance's last heartbeat, optionally of one service."""
        return await svc.list_service_health(service_name)

    @get(
        "/service-health/stale",
        summary="Instances whose last heartbeat is older than the threshold",
    )
    async def stale_instances(
        svc: TrainingService,
        threshold_seconds: Annotated[float, Ge(0), Le(10_000_000)] = 60.0,
        *,
        service_name: Text50 = None,
    ) -> list[ServiceHealthOut]:
        """Instances that have not sent a heartbeat for ``threshold_seconds``."""
        return await svc.stale_instances(threshold_seconds, service_name)
