"""Reads of the audit log (writes go through :meth:`UnitOfWork.audit` only)."""

from __future__ import annotations

from datetime import datetime

from evalledger.audit.models import AuditLog
from evalledger.audit.schemas import AuditEntry as AuditEntry  # re-exported
from evalledger.db.repository import Page, Range, Repository, row_to_dict


class AuditRepository(Repository[AuditLog]):
    model = AuditLog

    async def search(
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
        """Newest first, keyset-paginated, limited to the unit of work's project."""
        rows, next_cursor = await self.list(
            {"entity_type": entity_type, "entity_id": entity_id, "action": action},
            {"created_at": Range(since, until)},
            limit=limit,
            cursor=cursor,
        )
        items = [AuditEntry.model_validate(row_to_dict(r)) for r in rows]
        return Page(items=items, next_cursor=next_cursor)
