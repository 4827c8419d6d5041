"""Prometheus metrics: requests, query durations, transactions, pool use, errors.

One registry-wide set of collectors, defined here and nowhere else. ``monitor_query`` (the
seed 004 name) times any async database operation; the unit of work counts transactions by
outcome; the API middleware times requests by route template (not raw path, which would
explode label cardinality); pool gauges are read at scrape time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

P = ParamSpec("P")
R = TypeVar("R")

REQUESTS = Counter("evalledger_http_requests_total", "HTTP requests", ["method", "route", "status"])
REQUEST_LATENCY = Histogram(
    "evalledger_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
QUERY_LATENCY = Histogram(
    "evalledger_db_query_duration_seconds",
    "Database operation duration",
    ["operation", "table"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
TRANSACTIONS = Counter(
    "evalledger_db_transactions_total", "Units of work by kind and outcome", ["kind", "outcome"]
)
ERRORS = Counter("evalledger_errors_total", "Errors answered to clients", ["kind", "status"])
POOL_SIZE = Gauge("evalledger_db_pool_size", "Configured pool size")
POOL_CHECKED_OUT = Gauge("evalledger_db_pool_checked_out", "Connections in use")
POOL_OVERFLOW = Gauge("evalledger_db_pool_overflow", "Connections above the pool size")


def monitor_query(
    operation: str, table: str = "-"
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Time an async database operation into ``evalledger_db_query_duration_seconds``."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                QUERY_LATENCY.labels(operation, table).observe(time.perf_counter() - started)

        return wrapper

    return decorate


def pool_status(engine: Any) -> dict[str, int]:
    """Size, in use and overflow of a SQLAlchemy engine's pool (zeros where not pooled)."""
    pool = engine.sync_engine.pool if hasattr(engine, "sync_engine") else engine.pool
    size = getattr(pool, "size", lambda: 0)()
    checked_out = getattr(pool, "checkedout", lambda: 0)()
    overflow = max(0, getattr(pool, "overflow", lambda: 0)())
    return {"size": int(size), "checked_out": int(checked_out), "overflow": int(overflow)}


def render(engine: Any | None = None) -> tuple[bytes, str]:
    """The exposition text, with pool gauges refreshed from ``engine``."""
    if engine is not None:
        status = pool_status(engine)
        POOL_SIZE.set(status["size"])
        POOL_CHECKED_OUT.set(status["checked_out"])
        POOL_OVERFLOW.set(status["overflow"])
    return generate_latest(), CONTENT_TYPE_LATEST
