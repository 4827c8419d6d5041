"""The audit group's operation: reading the log, under ``/api/v1``.

Read-only, filterable, keyset-paginated and scoped to the caller's project: any key of the
project may read it (``read`` scope and up), since the log holds who changed what in the
caller's own project, never another project's rows. Writes go through
:meth:`~evalledger.uow.UnitOfWork.audit` only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from annotated_types import MaxLen
from pydantic import Field

from evalledger.api.types import IsoDatetime
from evalledger.audit.schemas import AuditEntry
from evalledger.operations import Cursor, OperationGroup, PageSize, get
from evalledger.pagination import Page

if TYPE_CHECKING:
    from evalledger.audit.repository import AuditRepository

#: An inclusive bound of ``created_at``.
When = Annotated[IsoDatetime | None, Field(description="inclusive, ISO 8601 with timezone")]


class AuditOperations(
    OperationGroup,
    prefix="/api/v1",
    tag="audit",
    service="evalledger.audit.repository:AuditRepository",
):
    @get("/audit-log", summary="Read the audit log")
    async def list_audit_log(
        svc: AuditRepository,
        *,
        entity_type: Annotated[str | None, MaxLen(50)] = None,
        entity_id: Annotated[str | None, MaxLen(255)] = None,
        action: Annotated[str | None, MaxLen(50)] = None,
        since: When = None,
        until: When = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[AuditEntry]:
        """Audit entries of the caller's project, newest first, filtered by entity, action
        and an inclusive time range."""
        return await svc.search(
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            since=since,
            until=until,
            limit=limit,
            cursor=cursor,
        )
