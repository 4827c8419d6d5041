"""The competitions operations over HTTP: same names and return types as the Ledger's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from evalledger.agents.schemas import CustodyTestRecorded
from evalledger.competitions.schemas import (
    CollaborativeTestIn,
    CollaborativeTestRecorded,
    EventIn,
    EventOut,
    EventRecorded,
    EventStats,
    Leaderboard,
    OlympusTreatyIn,
    RatingMethod,
)
from evalledger.db.page import Page
from evalledger.sdk.http import HttpBase

BASE = "/api/v1"


def _body(model: type[BaseModel], value: Any) -> Any:
    parsed = value if isinstance(value, model) else model.model_validate(value)
    return parsed.model_dump(mode="json", exclude_unset=True)


def _params(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


class CompetitionsClient(HttpBase):
    async def record_event(self, event: EventIn | Mapping[str, Any]) -> EventRecorded:
        body = _body(EventIn, event)
        out = await self._request(
            "POST", f"{BASE}/events", json=body, retry_safe=body.get("id") is not None
        )
        return EventRecorded.model_validate(out)

    async def list_events(
        self,
        *,
        event_type: str | None = None,
        participant: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[EventOut]:
        params = _params(
            type=event_type,
            participant=participant,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        )
        out = await self._request("GET", f"{BASE}/events", params=params)
        return Page[EventOut].model_validate(out)

    async def get_event(self, event_id: uuid.UUID | str) -> EventOut:
        out = await self._request("GET", f"{BASE}/events/{quote(str(event_id), safe='')}")
        return EventOut.model_validate(out)

    async def event_stats(
        self,
        *,
        event_type: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventStats:
        params = _params(type=event_type, start=start, end=end)
        return EventStats.model_validate(
            await self._request("GET", f"{BASE}/events/stats", params=params)
        )

    async def administer_olympus_treaty(
        self, agent_type: str, result: OlympusTreatyIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        body = _body(OlympusTreatyIn, result)
        out = await self._request(
            "POST",
            f"{BASE}/olympus-treaty/{quote(agent_type, safe='')}",
            json=body,
            retry_safe=body.get("id") is not None,
        )
        return CustodyTestRecorded.model_validate(out)

    async def record_collaborative_test(
        self,
        test: CollaborativeTestIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> CollaborativeTestRecorded:
        body = _body(CollaborativeTestIn, test)
        ids = [p.get("id") for p in body.get("participants", [])]
        out = await self._request(
            "POST",
            f"{BASE}/collaborative-tests",
            json=body,
            idempotency_key=idempotency_key,
            retry_safe=bool(ids) and all(i is not None for i in ids),
        )
        return CollaborativeTestRecorded.model_validate(out)

    async def leaderboard(
        self,
        method: RatingMethod = "elo",
        *,
        rounds: int | None = None,
        seed: int = 0,
        event_type: str | None = None,
    ) -> Leaderboard:
        params = _params(method=method, rounds=rounds, seed=seed, type=event_type)
        return Leaderboard.model_validate(
            await self._request("GET", f"{BASE}/leaderboard", params=params)
        )
