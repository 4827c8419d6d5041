"""Claims, verifications, consensus decisions and verification requests: rules + transactions.

Functions take an open :class:`UnitOfWork` and never commit. Consensus reads the newest
verification of the claim from each framework, turns each into a
:class:`~evalledger.verification.consensus_rules.FrameworkVerdict` (the verdict is the boolean
``result["valid"]``), applies the chosen rule and upserts the decision on
``(project_id, claim_id)``, so a recomputation replaces the previous decision atomically.
"""

from __future__ import annotations

import time
from datetime import datetime

from evalledger.db.idempotency import run_idempotent
from evalledger.db.repository import Page, Range, row_to_dict
from evalledger.db.translate import insert_or_conflict
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.uow import UnitOfWork
from evalledger.verification import consensus_rules
from evalledger.verification.repository import ConsensusDecisionRepository, VerificationRepository
from evalledger.verification.schemas import (
    VALIDITY_KEY,
    ClaimIn,
    ClaimOut,
    ConsensusOut,
    FrameworkStats,
    VerificationIn,
    VerificationOut,
    VerificationRequestIn,
    VerificationRequestOut,
)


class VerificationService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.repo = VerificationRepository(uow)
        self.decisions = ConsensusDecisionRepository(uow)

    # -- claims ------------------------------------------------------------------------

    async def create_claim(self, data: ClaimIn) -> ClaimOut:
        def exists() -> ConflictError:
            return ConflictError(f"claim {data.external_id!r} already exists", field="external_id")

        if await self.repo.claims.find_by(external_id=data.external_id) is not None:
            raise exists()
        claim = await insert_or_conflict(
            self.uow,
            lambda: self.repo.create_claim(data),
            exists,  # audited
        )
        return ClaimOut.model_validate(row_to_dict(claim))

    async def get_claim(self, external_id: str) -> ClaimOut:
        return ClaimOut.model_validate(
            row_to_dict(await self.repo.claims.by_external_id(external_id))
        )

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
        rows, next_cursor = await self.repo.claims.list(
            {"claim_type": claim_type, "source": source},
            {"created_at": Range(since, until)},
            limit=limit,
            cursor=cursor,
        )
        return Page(
            items=[ClaimOut.model_validate(row_to_dict(r)) for r in rows], next_cursor=next_cursor
        )

    # -- verifications -----------------------------------------------------------------

    async def create_verification(
        self, data: VerificationIn, *, idempotency_key: str | None = None
    ) -> VerificationOut:
        async def apply() -> VerificationOut:
            await self.repo.claims.by_external_id(data.claim_id)  # 404 (also other projects)
            row = await self.repo.create_verification(**data.model_dump())  # audited
            return VerificationOut.model_validate(row_to_dict(row))

        return await run_idempotent(
            self.uow, idempotency_key, "create_verification", VerificationOut, apply, request=data
        )

    async def get_by_claim_id(self, claim_id: str) -> list[VerificationOut]:
        await self.repo.claims.by_external_id(claim_id)
        rows = await self.repo.get_by_claim_id(claim_id)
        return [VerificationOut.model_validate(row_to_dict(r)) for r in rows]

    async def get_recent_verifications(
        self, limit: int = 100, *, framework: str | None = None, cursor: str | None = None
    ) -> Page[VerificationOut]:
        rows, next_cursor = await self.repo.list(
            {"framework": framework}, limit=limit, cursor=cursor
        )
        return Page(
            items=[VerificationOut.model_validate(row_to_dict(r)) for r in rows],
            next_cursor=next_cursor,
        )

    async def framework_metrics(self, since: datetime | None = None) -> list[FrameworkStats]:
        rows = await self.repo.framework_metrics(since)
        return [FrameworkStats.model_validate(r) for r in rows]

    # -- consensus ---------------------------------------------------------------------

    async def compute_consensus(self, claim_id: str, rule: str) -> ConsensusOut:
        if rule not in consensus_rules.CONSENSUS_RULES:
            allowed = ", ".join(consensus_rules.CONSENSUS_RULES)
            raise ValidationFailed(f"unknown rule {rule!r}; allowed: {allowed}", field="rule")
        started = time.perf_counter()
        await self.repo.claims.by_external_id(claim_id)
        rows = await self.repo.latest_per_framework(claim_id)
        if not rows:
            raise ValidationFailed(
                f"claim {claim_id!r} has no verification results to reach consensus on",
                field="claim_id",
            )
        verdicts = []
        for row in rows:
            valid = row.result.get(VALIDITY_KEY) if isinstance(row.result, dict) else None
            if not isinstance(valid, bool):
                raise ValidationFailed(
                    f"verification {row.id} from framework {row.framework!r} has no boolean "
                    f"result[{VALIDITY_KEY!r}]; consensus needs every framework's verdict",
                    field=f"result.{VALIDITY_KEY}",
                )
            verdicts.append(
                consensus_rules.FrameworkVerdict(row.framework, valid, float(row.confidence))
            )
        outcome = consensus_rules.decide(rule, verdicts)
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        decision = await self.decisions.upsert(
            {
                "claim_id": claim_id,
                "consensus_result": {
                    "valid": outcome.valid,
                    "votes_for": outcome.votes_for,
                    "votes_against": outcome.votes_against,
                    "support": outcome.support,
                    "verification_ids": [str(r.id) for r in rows],
                },
                "participating_frameworks": outcome.participating_frameworks,
                "consensus_type": outcome.consensus_type,
                "consensus_confidence": outcome.confidence,
                "decision_time_ms": elapsed_ms,
                "created_at": utcnow(),
            },
            conflict=("project_id", "claim_id"),
            update_columns=(
                "consensus_result",
                "participating_frameworks",
                "consensus_type",
                "consensus_confidence",
                "decision_time_ms",
                "created_at",
            ),
        )
        self.uow.audit(
            "consensus_decision",
            claim_id,
            "compute",
            {"rule": rule, "valid": outcome.valid, "confidence": outcome.confidence},
        )
        return ConsensusOut.model_validate(row_to_dict(decision))

    async def get_consensus(self, claim_id: str) -> ConsensusOut:
        await self.repo.claims.by_external_id(claim_id)
        row = await self.decisions.find_by(claim_id=claim_id)
        if row is None:
            raise NotFoundError(
                f"claim {claim_id!r} has no consensus decision yet", field="claim_id"
            )
        return ConsensusOut.model_validate(row_to_dict(row))

    # -- verification requests (seed 004) ----------------------------------------------

    async def create_verification_request(
        self, data: VerificationRequestIn
    ) -> VerificationRequestOut:
        def exists() -> ConflictError:
            return ConflictError(f"request {data.request_id!r} already exists", field="request_id")

        if await self.repo.requests.find_by(request_id=data.request_id) is not None:
            raise exists()
        row = await insert_or_conflict(
            self.uow,
            lambda: self.repo.create_verification_request(**data.model_dump()),  # audited
            exists,
        )
        return VerificationRequestOut.model_validate(row_to_dict(row))

    async def get_pending_requests(self, limit: int = 10) -> list[VerificationRequestOut]:
        rows = await self.repo.get_pending_requests(limit)
        return [VerificationRequestOut.model_validate(row_to_dict(r)) for r in rows]

    async def update_request_status(self, request_id: str, status: str) -> VerificationRequestOut:
        updated = await self.repo.update_request_status(request_id, status)  # audited
        return VerificationRequestOut.model_validate(row_to_dict(updated))
