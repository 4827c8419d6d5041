"""``GET /api/v1/audit-log``: read-only, filterable, keyset-paginated, scoped to the key's project.

Any key of the project may read it (``read`` scope and up): the log holds who changed what in
the caller's own project, never another project's rows.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from evalledger.api.deps import Reader
from evalledger.api.types import IsoDatetime
from evalledger.audit.schemas import AuditEntry
from evalledger.db.repository import Page

router = APIRouter(prefix="/api/v1", tags=["audit"])


@router.get("/audit-log", response_model=Page[AuditEntry], summary="Read the audit log")
async def audit_log(
    ledger: Reader,
    entity_type: str | None = Query(None, max_length=50),
    entity_id: str | None = Query(None, max_length=255),
    action: str | None = Query(None, max_length=50),
    since: IsoDatetime | None = Query(None, description="inclusive, ISO 8601 with timezone"),
    until: IsoDatetime | None = Query(None, description="inclusive, ISO 8601 with timezone"),
    limit: int = Query(50, ge=1, le=1000),
    cursor: str | None = Query(None, max_length=200),
) -> Page[AuditEntry]:
    return await ledger.list_audit_log(
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
