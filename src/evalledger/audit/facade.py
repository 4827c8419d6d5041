"""Audit-log reads on the in-process SDK."""

from __future__ import annotations

from datetime import datetime

from evalledger.audit.repository import AuditRepository
from evalledger.audit.schemas import AuditEntry
from evalledger.db.repository import Page
from evalledger.sdk.base import LedgerBase


class AuditFacade(LedgerBase):
    async def list_audit_log(
        self,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[AuditEntry]:
        async with self._read() as uow:
            return await AuditRepository(uow).search(
                entity_type=entity_type,
                entity_id=entity_id,
                action=action,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            )
