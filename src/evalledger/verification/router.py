"""REST of the verification groups under ``/api/v1``: the routes of their declared operations."""

from __future__ import annotations

from fastapi import APIRouter

from evalledger.operations.routes import router_for
from evalledger.verification.operations import TrainingOperations, VerificationOperations

router = APIRouter()
router.include_router(router_for(VerificationOperations))
router.include_router(router_for(TrainingOperations))
