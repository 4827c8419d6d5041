"""REST of the audit log: the route of its declared operation (``GET /api/v1/audit-log``)."""

from __future__ import annotations

from evalledger.audit.operations import AuditOperations
from evalledger.operations.routes import router_for

router = router_for(AuditOperations)
