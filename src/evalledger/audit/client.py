"""A query-string helper other domains' clients still import (the audit log's own read is
declared in :mod:`evalledger.audit.operations`; this goes once they are converted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


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
