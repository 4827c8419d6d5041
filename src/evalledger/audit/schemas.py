"""API shape of an audit-log entry, shared by the REST API, the ``Ledger`` and the ``Client``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEntry(BaseModel):
    id: uuid.UUID
    entity_type: str
    entity_id: str
    action: str
    user_id: str | None
    changes: Any | None
    metadata: Any | None
    created_at: datetime
