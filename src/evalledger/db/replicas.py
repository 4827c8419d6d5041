"""Read replicas: the replica set, its health cache, the routing session and the metrics.

Read-only units of work (``UnitOfWork(write=False)``) are served by a PostgreSQL streaming
replica chosen round-robin among the healthy ones; everything else uses the primary. A replica
is healthy when it answers and its replay lag is within ``replica_max_lag_seconds``. Health is
checked at most every ``replica_check_interval_seconds`` (all replicas at once, concurrently
waiting callers share one check). When no replica is healthy the read goes to the primary and
``evalledger_replica_fallbacks_total{reason="lag"|"down"}`` counts it.

A replica that fails while a read is using it (connection lost mid-transaction) is marked down
and the failed statement is run again on the primary, once: the caller sees no error. Objects
loaded before the failure stay usable (they are detached snapshots, not expired).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

REPLICA_READS = Counter(
    "evalledger_replica_reads",
    "Read-only units of work routed to a read replica.",
    ["replica"],
)
REPLICA_FALLBACKS = Counter(
    "evalledger_replica_fallbacks",
    "Read-only units of work sent to the primary because no replica was usable.",
    ["reason"],
)

#: ``session.info`` keys set on sessions opened on a replica.
_REPLICA = "evalledger_replica"
_PRIMARY = "evalledger_primary"

State = Literal["unknown", "ok", "lag", "down"]

# On a standby: caught up when everything received has been replayed (an idle primary sends
# nothing, so the last replay timestamp grows old without the replica being behind);
# otherwise the lag is the age of the last replayed transaction. Not a standby (the URL points
# at a primary, or the replica was promoted): no lag.
LAG_SQL = text(
    """
    SELECT pg_is_in_recovery() AS standby,
           (pg_last_wal_receive_lsn() IS NOT NULL
            AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()) AS caught_up,
           EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))::float8 AS lag
    """
)


def lag_from_row(standby: bool, caught_up: bool | None, lag: float | None) -> float:
    """Replay lag in seconds from the health query's row (``inf`` when it cannot be told)."""
    if not standby or caught_up:
        return 0.0
    if lag is None:
        return math.inf
    return max(0.0, float(lag))


def is_disconnect(exc: BaseException) -> bool:
    """Whether ``exc`` means the connection to the server is gone (not a SQL error)."""
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    return isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError)


def replica_label(url: str) -> str:
    """A metrics label for a replica URL: host:port/database, never the password."""
    u = make_url(url)
    return f"{u.host or 'localhost'}:{u.port or 5432}/{u.database}"


@dataclass(eq=False)
class Replica:
    name: str
    engine: AsyncEngine
    sessions: async_sessionmaker[ReplicaSession]
    state: State = "unknown"
    lag_seconds: float | None = None
    error: str | None = None
    checked_at: float = -math.inf

    def mark_down(self, exc: BaseException, clock: Callable[[], float] = time.monotonic) -> None:
        """Take the replica out of rotation until the next health check finds it back."""
        self.state = "down"
        self.error = f"{type(exc).__name__}: {exc}"[:300]
        self.checked_at = clock()
        REPLICA_FALLBACKS.labels(reason="down").inc()


@dataclass(eq=False)
class ReplicaSet:
    replicas: Sequence[Replica]
    max_lag_seconds: float
    check_interval_seconds: float
    check_timeout_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _next: int = 0
    _refreshing: asyncio.Future[None] | None = field(default=None, repr=False)

    async def choose(self) -> Replica | None:
        """The next healthy replica, round-robin; ``None`` (counted) to use the primary."""
        await self.refresh()
        count = len(self.replicas)
        for step in range(count):
            index = (self._next + step) % count
            replica = self.replicas[index]
            if replica.state == "ok":
                self._next = (index + 1) % count
                return replica
        reason = "lag" if any(r.state == "lag" for r in self.replicas) else "down"
        REPLICA_FALLBACKS.labels(reason=reason).inc()
        return None

    async def refresh(self, *, force: bool = False) -> None:
        """Re-check the replicas whose last check is older than the interval."""
        if self._refreshing is not None and not self._refreshing.done():
            await asyncio.shield(self._refreshing)
            return
        now = self.clock()
        stale = [
            r
            for r in self.replicas
            if force or now - r.checked_at >= self.check_interval_seconds or r.state == "unknown"
        ]
        if not stale:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._refreshing = future
        try:
            await asyncio.gather(*(self._check(r) for r in stale))
        finally:
            future.set_result(None)
            self._refreshing = None

    async def _check(self, replica: Replica) -> None:
        try:
            lag = await asyncio.wait_for(self._measure(replica), self.check_timeout_seconds)
        except Exception as exc:  # any failure to answer means down
            replica.state = "down"
            replica.lag_seconds = None
            replica.error = f"{type(exc).__name__}: {exc}"[:300]
        else:
            replica.lag_seconds = lag
            replica.error = None
            replica.state = "ok" if lag <= self.max_lag_seconds else "lag"
        replica.checked_at = self.clock()

    @staticmethod
    async def _measure(replica: Replica) -> float:
        async with replica.engine.connect() as conn:
            row = (await conn.execute(LAG_SQL)).one()
            await conn.rollback()
        return lag_from_row(row.standby, row.caught_up, row.lag)

    def status(self) -> list[dict[str, Any]]:
        """What the health cache knows, for diagnostics."""
        return [
            {"replica": r.name, "state": r.state, "lag_seconds": r.lag_seconds, "error": r.error}
            for r in self.replicas
        ]

    async def dispose(self) -> None:
        await asyncio.gather(*(r.engine.dispose() for r in self.replicas))


class ReplicaSession(AsyncSession):
    """A read session on a replica that moves to the primary, once, if the replica drops.

    Only a lost connection triggers the move (a SQL error is the caller's). The statement that
    failed is run again on the primary; the replica is marked down (and counted).
    """

    async def _to_primary(self, exc: BaseException) -> bool:
        replica: Replica | None = self.info.get(_REPLICA)
        if replica is None or not is_disconnect(exc):
            return False
        self.info[_REPLICA] = None
        replica.mark_down(exc)
        # Keep what was already loaded readable: detach it, so the rollback cannot expire it.
        self.sync_session.expunge_all()
        with contextlib.suppress(Exception):  # the connection is gone; nothing to roll back
            await self.rollback()
        primary: AsyncEngine = self.info[_PRIMARY]
        self.bind = primary
        self.sync_session.bind = primary.sync_engine
        return True

    @property
    def replica(self) -> Replica | None:
        """The replica this session reads from (``None`` once it has moved to the primary)."""
        value: Replica | None = self.info.get(_REPLICA)
        return value

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute(*args, **kwargs)
        except Exception as exc:
            if not await self._to_primary(exc):
                raise
        return await super().execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().scalar(*args, **kwargs)
        except Exception as exc:
            if not await self._to_primary(exc):
                raise
        return await super().scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get(*args, **kwargs)
        except Exception as exc:
            if not await self._to_primary(exc):
                raise
        return await super().get(*args, **kwargs)

    async def get_one(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_one(*args, **kwargs)
        except Exception as exc:
            if not await self._to_primary(exc):
                raise
        return await super().get_one(*args, **kwargs)


async def open_replica_session(replicas: ReplicaSet, primary: AsyncEngine) -> ReplicaSession | None:
    """A session with its connection already open on a healthy replica, or ``None``.

    Connecting up front means a replica that went down since its last health check is found
    out here, before any query, and the read goes to the primary instead.
    """
    replica = await replicas.choose()
    if replica is None:
        return None
    session = replica.sessions()
    session.info[_REPLICA] = replica
    session.info[_PRIMARY] = primary
    try:
        await session.connection()
    except Exception as exc:  # cannot connect: down
        with contextlib.suppress(Exception):
            await session.close()
        replica.mark_down(exc, replicas.clock)
        return None
    REPLICA_READS.labels(replica=replica.name).inc()
    return session
