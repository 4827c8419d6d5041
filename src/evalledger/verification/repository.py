"""Queries of the verification domain, on the generic :class:`Repository`.

``VerificationRepository`` keeps the seeds' method names: ``create_verification``,
``get_by_claim_id``, ``get_recent_verifications``, ``create_claim`` (seed 002) and
``create_verification_request`` / ``requests.get_pending_requests`` (seed 004).

Its write methods record their audit rows themselves (in the caller's transaction, after the
write succeeded), so a write through the documented repository pattern (``@transaction`` and
``VerificationRepository(uow)``) is audited exactly like the same write through the ledger,
whose service calls these same methods.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select

from evalledger.db.repository import Repository
from evalledger.errors import NotFoundError
from evalledger.uow import UnitOfWork
from evalledger.verification.models import (
    Claim,
    ConsensusDecision,
    VerificationRequest,
    VerificationResult,
)


def _values(data: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    values = data.model_dump() if isinstance(data, BaseModel) else dict(data)
    if "metadata" in values:
        values["metadata_"] = values.pop("metadata")
    return values


class ClaimRepository(Repository[Claim]):
    model = Claim

    async def by_external_id(self, external_id: str) -> Claim:
        row = await self.find_by(external_id=external_id)
        if row is None:
            raise NotFoundError(f"claim {external_id!r} not found", field="claim_id")
        return row


class VerificationRequestRepository(Repository[VerificationRequest]):
    model = VerificationRequest

    async def get_pending_requests(self, limit: int = 10) -> Sequence[VerificationRequest]:
        """Pending requests, highest priority first, then oldest first."""
        stmt = (
            self.where(self.select(), {"status": "pending"})
            .order_by(
                VerificationRequest.priority.desc(),
                VerificationRequest.created_at,
                VerificationRequest.id,
            )
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def by_request_id(self, request_id: str, *, lock: bool = False) -> VerificationRequest:
        stmt = self.where(self.select(), {"request_id": request_id})
        if lock:
            stmt = stmt.with_for_update()
        row: VerificationRequest | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise NotFoundError(f"verification request {request_id!r} not found", field="id")
        return row


class ConsensusDecisionRepository(Repository[ConsensusDecision]):
    model = ConsensusDecision


class VerificationRepository(Repository[VerificationResult]):
    """Seed 002's repository: verification results, plus claims and requests through it."""

    model = VerificationResult

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.claims = ClaimRepository(uow)
        self.requests = VerificationRequestRepository(uow)

    async def create_verification(
        self,
        *,
        claim_id: str | uuid.UUID,
        framework: str,
        result: dict[str, Any],
        confidence: float,
        evidence: dict[str, Any] | None = None,
        processing_time_ms: int | None = None,
        model_version: str | None = None,
    ) -> VerificationResult:
        row = await self.add(
            claim_id=str(claim_id),
            framework=framework,
            result=result,
            confidence=confidence,
            evidence=evidence,
            processing_time_ms=processing_time_ms,
            model_version=model_version,
        )
        self.uow.audit(
            "verification_result",
            row.id,
            "create",
            {"claim_id": str(claim_id), "framework": framework},
        )
        return row

    async def get_by_claim_id(self, claim_id: str | uuid.UUID) -> Sequence[VerificationResult]:
        """Every verification of the claim, oldest first."""
        stmt = self.where(self.select(), {"claim_id": str(claim_id)}).order_by(
            VerificationResult.created_at, VerificationResult.id
        )
        return list((await self.session.execute(stmt)).scalars())

    async def latest_per_framework(self, claim_id: str) -> Sequence[VerificationResult]:
        """The newest verification of the claim from each framework (one vote per framework)."""
        newest = (
            select(
                VerificationResult.id,
                func.row_number()
                .over(
                    partition_by=VerificationResult.framework,
                    order_by=(VerificationResult.created_at.desc(), VerificationResult.id.desc()),
                )
                .label("rank"),
            )
            .where(
                VerificationResult.project_id == self.uow.project_id,
                VerificationResult.claim_id == claim_id,
            )
            .subquery()
        )
        stmt = (
            self.select()
            .join(newest, newest.c.id == VerificationResult.id)
            .where(newest.c.rank == 1)
            .order_by(VerificationResult.framework)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def get_recent_verifications(self, limit: int = 100) -> Sequence[VerificationResult]:
        rows, _ = await self.list(limit=limit)
        return rows

    async def create_claim(
        self, claim: BaseModel | Mapping[str, Any] | None = None, **values: Any
    ) -> Claim:
        """Insert a claim (a schema object, a mapping, or keyword arguments)."""
        row = await self.claims.add(**_values({**_values(claim or {}), **values}))
        self.uow.audit("claim", row.external_id, "create", {"claim_type": row.claim_type})
        return row

    async def create_verification_request(self, **values: Any) -> VerificationRequest:
        values.setdefault("status", "pending")
        row = await self.requests.add(**values)
        self.uow.audit(
            "verification_request", row.request_id, "create", {"client_id": row.client_id}
        )
        return row

    async def update_request_status(self, request_id: str, status: str) -> VerificationRequest:
        """Move a request to ``status`` (row locked while it changes)."""
        row = await self.requests.by_request_id(request_id, lock=True)
        old = row.status
        updated = await self.requests.update(row.id, status=status)
        self.uow.audit("verification_request", request_id, "status", {"from": old, "to": status})
        return updated

    async def get_pending_requests(self, limit: int = 10) -> Sequence[VerificationRequest]:
        return await self.requests.get_pending_requests(limit)

    async def framework_metrics(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Per framework: count, mean confidence, mean processing time (one GROUP BY)."""
        stmt = select(
            VerificationResult.framework,
            func.count().label("count"),
            func.avg(VerificationResult.confidence).label("avg_confidence"),
            func.avg(VerificationResult.processing_time_ms).label("avg_processing_time_ms"),
        ).where(VerificationResult.project_id == self.uow.project_id)
        if since is not None:
            stmt = stmt.where(VerificationResult.created_at >= since)
        stmt = stmt.group_by(VerificationResult.framework).order_by(VerificationResult.framework)
        return [dict(r) for r in (await self.session.execute(stmt)).mappings()]
