"""Is a re-sent custody test result the same result? (a pure rule, no database)

A result ``id`` makes recording idempotent: the same result sent twice is recorded once. A
different result sent under an id already recorded is a client bug (a reused or colliding id)
and must be refused, not answered as if it were the first one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalledger.agents.schemas import CustodyTestIn

#: Fields whose omitted value is decided when the result is first recorded (the test id is the
#: result id, the difficulty the agent's at that moment, the xp the rules' award): leaving
#: them out of a re-send says nothing about them.
DECIDED_WHEN_RECORDED = frozenset({"test_id", "test_difficulty", "xp_awarded"})
#: Request fields stored under another column name.
COLUMN_OF = {"timestamp": "tested_at"}


def differing_fields(stored: Mapping[Any, Any], sent: CustodyTestIn) -> list[str]:
    """The fields of ``sent`` whose values differ from the recorded result ``stored``."""
    out = []
    for name in CustodyTestIn.model_fields:
        if name == "id":
            continue
        value = getattr(sent, name)
        if value is None and name in DECIDED_WHEN_RECORDED:
            continue
        if stored[COLUMN_OF.get(name, name)] != value:
            out.append(name)
    return out


def conflict_message(result_id: object, fields: list[str]) -> str:
    return (
        f"result id {result_id} is already recorded with a different "
        f"{', '.join(fields)}; re-send the same result, or give a new result a new id"
    )
