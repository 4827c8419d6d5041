"""The competitions hook on the in-process SDK: the leaderboard (the other competitions
operations are declared in ``operations.py``).

A hook because it is more than one unit of work: the computed ratings are cached for as long
as the engine lives (:mod:`~evalledger.competitions.ratings_cache`), and a cold board is
fitted outside any transaction (seconds of CPU must not hold a connection), under a per-board
lock so that concurrent cold requests fit it once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from evalledger.competitions import ratings_cache
from evalledger.competitions.leaderboard import Ratings, assemble, compute_ratings, group_events
from evalledger.competitions.schemas import MAX_BOOTSTRAP_ROUNDS, Leaderboard, RatingMethod
from evalledger.competitions.service import CompetitionsService
from evalledger.errors import ValidationFailed
from evalledger.monitoring import CACHE_LOOKUPS
from evalledger.operations.ledger_base import LedgerBase


class CompetitionsFacade(LedgerBase):
    # A hook: two units of work around a CPU fit, with a cache and a lock that outlive both.
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
            service = CompetitionsService(uow, self.settings)
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
            service = CompetitionsService(uow, self.settings)
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
