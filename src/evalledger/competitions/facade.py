"""The competitions operations as the SDK exposes them (``Ledger`` methods)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from evalledger.agents.schemas import CustodyTestRecorded
from evalledger.competitions import ratings_cache
from evalledger.competitions.leaderboard import Ratings, assemble, compute_ratings, group_events
from evalledger.competitions.schemas import (
    MAX_BOOTSTRAP_ROUNDS,
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
from evalledger.competitions.service import CompetitionsService
from evalledger.db.repository import Page
from evalledger.errors import ValidationFailed, parse_uuid
from evalledger.monitoring import CACHE_LOOKUPS
from evalledger.sdk.base import LedgerBase
from evalledger.uow import UnitOfWork


def _model(cls: Any, value: Any) -> Any:
    return value if isinstance(value, cls) else cls.model_validate(value)


class CompetitionsFacade(LedgerBase):
    def _competitions(self, uow: UnitOfWork) -> CompetitionsService:
        return CompetitionsService(uow, self.settings)

    async def record_event(self, event: EventIn | Mapping[str, Any]) -> EventRecorded:
        """Record an event and apply it to its participants. An ``id`` makes it retry-safe."""
        body = _model(EventIn, event)
        async with self._write() as uow:
            return await self._competitions(uow).record_event(body)

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
        """Newest first; pass the page's ``next_cursor`` back as ``cursor`` for the next."""
        async with self._read() as uow:
            return await self._competitions(uow).list_events(
                event_type=event_type,
                participant=participant,
                start=start,
                end=end,
                limit=limit,
                cursor=cursor,
            )

    async def get_event(self, event_id: uuid.UUID | str) -> EventOut:
        async with self._read() as uow:
            return await self._competitions(uow).get_event(parse_uuid(event_id, "event_id"))

    async def event_stats(
        self,
        *,
        event_type: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventStats:
        async with self._read() as uow:
            return await self._competitions(uow).event_stats(
                event_type=event_type, start=start, end=end
            )

    async def administer_olympus_treaty(
        self, agent_type: str, result: OlympusTreatyIn | Mapping[str, Any]
    ) -> CustodyTestRecorded:
        body = _model(OlympusTreatyIn, result)
        async with self._write() as uow:
            return await self._competitions(uow).administer_olympus_treaty(agent_type, body)

    async def record_collaborative_test(
        self,
        test: CollaborativeTestIn | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> CollaborativeTestRecorded:
        body = _model(CollaborativeTestIn, test)
        async with self._write() as uow:
            return await self._competitions(uow).record_collaborative_test(
                body, idempotency_key=idempotency_key
            )

    async def leaderboard(
        self,
        method: RatingMethod = "elo",
        *,
        rounds: int | None = None,
        seed: int = 0,
        event_type: str | None = None,
    ) -> Leaderboard:
        """Agents ranked by Elo, Bradley-Terry (with bootstrap 95% intervals) or XP."""
        if method not in ("elo", "bradley_terry", "xp"):
            raise ValidationFailed(
                f"method must be elo, bradley_terry or xp, not {method!r}", field="method"
            )
        rounds = self.settings.bootstrap_rounds if rounds is None else rounds
        if not 1 <= rounds <= MAX_BOOTSTRAP_ROUNDS:
            raise ValidationFailed(
                f"rounds must be between 1 and {MAX_BOOTSTRAP_ROUNDS}", field="rounds"
            )
        cache = ratings_cache.for_database(self.db)
        async with self._read() as uow:
            service = self._competitions(uow)
            key: tuple[Any, ...] = (uow.project_id, method, event_type)
            if method != "xp":
                key += (rounds, seed, self.settings.elo_k)
            # The watermark is read before any of the ratings' inputs: see ratings_cache.
            watermark, agents = await service.leaderboard_agents(method)
            computed = cache.get(key, watermark)
            CACHE_LOOKUPS.labels("ratings", "miss" if computed is None else "hit").inc()
            if computed is None and method == "xp":  # nothing to fit: two GROUP BY counts
                total, played = await service.events.scored_counts(event_type)
                computed = Ratings(total, played, {})
                cache.put(key, watermark, computed)
        if computed is None:
            async with cache.lock(key):
                computed = await self._compute_ratings(cache, key, method, event_type, rounds, seed)
        return assemble(method, computed, agents, rounds=rounds, seed=seed)

    async def _compute_ratings(
        self,
        cache: ratings_cache.RatingsCache,
        key: tuple[Any, ...],
        method: RatingMethod,
        event_type: str | None,
        rounds: int,
        seed: int,
    ) -> Ratings:
        """Fit the ratings (unless a concurrent request just did) and cache them."""
        async with self._read() as uow:
            service = self._competitions(uow)
            watermark = await service.events.ratings_watermark()
            computed = cache.get(key, watermark)
            if computed is not None:
                return computed
            rows = await service.events.scored_rows(event_type)
        # The rating fits are CPU work: keep them off the event loop, outside the transaction.
        computed = await asyncio.to_thread(
            compute_ratings,
            method,
            group_events(rows),
            rounds=rounds,
            seed=seed,
            elo_k=self.settings.elo_k,
        )
        cache.put(key, watermark, computed)
        return computed
