"""Computed leaderboard ratings, reused while the project's events are unchanged.

Elo and Bradley-Terry with bootstrap intervals are seconds of CPU over a few thousand events,
and they depend only on the events, which change far less often than leaderboards are read.
Each :class:`~evalledger.db.engine.Database` (one engine, one event loop) keeps a small LRU of
:class:`~evalledger.competitions.leaderboard.Ratings` keyed by everything they are computed
from (project, method, event type, rounds, seed, Elo k) and tagged with the events'
*watermark* (:meth:`EventRepository.ratings_watermark`) read when the inputs were read. A
request reads the watermark first and uses the cached ratings only if it is unchanged, so a
recorded event invalidates them, in this process or any other sharing the database.

Reading the watermark *before* the scored rows matters: a write that lands in between leaves
ratings tagged with the older watermark, which the next request sees as stale and recomputes.
The reverse order could tag old ratings with the new watermark and serve them indefinitely.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from evalledger.competitions.leaderboard import Ratings
from evalledger.db.engine import PerDatabase

#: Boards kept per database (each holds one rating and interval per agent: a few KB).
KEPT = 64


class RatingsCache:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._entries: OrderedDict[Hashable, tuple[tuple[Any, ...], Ratings]] = OrderedDict()
        self._locks: dict[Hashable, asyncio.Lock] = {}

    def get(self, key: Hashable, watermark: tuple[Any, ...]) -> Ratings | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != watermark:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Hashable, watermark: tuple[Any, ...], ratings: Ratings) -> None:
        self._entries[key] = (watermark, ratings)
        self._entries.move_to_end(key)
        while len(self._entries) > self.kept:
            old, _ = self._entries.popitem(last=False)
            self._locks.pop(old, None)

    def lock(self, key: Hashable) -> asyncio.Lock:
        """One computation per board at a time: concurrent cold requests wait for the first."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def clear(self) -> None:
        self._entries.clear()


#: The cache of one :class:`~evalledger.db.engine.Database` (dropped with it).
for_database = PerDatabase(RatingsCache)
