"""Audit-log reads over HTTP (same names and return types as :class:`AuditFacade`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evalledger.audit.schemas import AuditEntry
from evalledger.db.page import Page
from evalledger.sdk.http import HttpBase


def query(**params: Any) -> dict[str, Any]:
    """Query parameters without ``None``s; datetimes as ISO 8601, booleans as true/false."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = value
    return out


class AuditClient(HttpBase):
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
        data = await self._request(
            "GET",
            "/api/v1/audit-log",
            params=query(
                entity_type=entity_type,
                entity_id=entity_id,
                action=action,
                since=since,
                until=until,
                limit=limit,
                cursor=cursor,
            ),
        )
        return Page[AuditEntry].model_validate(data)
