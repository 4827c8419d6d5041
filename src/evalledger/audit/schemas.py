"""What an audit log entry looks like to a reader (no database code: the client uses it)."""

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
