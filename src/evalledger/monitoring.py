"""Prometheus metrics: requests, statements, transactions, pools, caches, errors.

One registry-wide set of collectors, defined here and nowhere else. Every SQL statement is
timed by engine events (:func:`instrument_engine`, attached to each engine the ledger
creates) under a bounded label set: the statement's verb (``select``, ``insert``,
``update``, ``delete`` or ``other``) and the backend, never the SQL text. The unit of work
counts transactions by outcome; the API middleware times requests by route template (not raw
path, which would explode label cardinality); pool figures are read from every live engine at
scrape time; the leaderboard-ratings and API-key caches count their hits and misses.

``monitor_query`` (the BrahminyKite persistence layer's decorator) stays for code written
against it: it times a whole function, usually several statements, into its own histogram.
"""

from __future__ import annotations

import functools
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.engine import Engine

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
    "Duration of each SQL statement, by verb and backend",
    ["operation", "backend"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
OPERATION_LATENCY = Histogram(
    "evalledger_db_operation_duration_seconds",
    "Duration of functions decorated with @monitor_query",
    ["operation", "table"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5),
)
TRANSACTIONS = Counter(
    "evalledger_db_transactions_total", "Units of work by kind and outcome", ["kind", "outcome"]
)
ERRORS = Counter("evalledger_errors_total", "Errors answered to clients", ["kind", "status"])
CACHE_LOOKUPS = Counter(
    "evalledger_cache_lookups_total",
    "Lookups in the in-process caches (ratings: leaderboard fits; auth: API keys)",
    ["cache", "result"],
)

#: The verbs a statement is labelled with; anything else is ``other``.
VERBS = ("select", "insert", "update", "delete")


def statement_verb(statement: str) -> str:
    """The bounded ``operation`` label of a SQL statement: its leading verb, or ``other``."""
    head = statement.lstrip(" \t\r\n(")[:6].lower()
    return head if head in VERBS else "other"


def monitor_query(
    operation: str, table: str = "-"
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Time an async function into ``evalledger_db_operation_duration_seconds``.

    The labels are the caller's: pass a fixed set of names, never values from a request.
    """

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                OPERATION_LATENCY.labels(operation, table).observe(time.perf_counter() - started)

        return wrapper

    return decorate


_STARTED = "_evalledger_started"


def instrument_engine(engine: Any, pool_label: str = "primary") -> None:
    """Time every statement ``engine`` runs, and report its pool at scrape time.

    ``engine`` is an ``AsyncEngine`` (its sync engine carries the events) or an ``Engine``.
    The start time lives on the statement's execution context, so a statement that fails
    leaves nothing behind.
    """
    sync: Engine = engine.sync_engine if hasattr(engine, "sync_engine") else engine
    backend = sync.dialect.name
    children = {verb: QUERY_LATENCY.labels(verb, backend) for verb in (*VERBS, "other")}

    @event.listens_for(sync, "before_cursor_execute")
    def _before(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if context is not None:
            setattr(context, _STARTED, time.perf_counter())

    @event.listens_for(sync, "after_cursor_execute")
    def _after(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        started = getattr(context, _STARTED, None)
        if started is not None:
            children[statement_verb(statement)].observe(time.perf_counter() - started)

    _POOLS.add(sync, pool_label)


def pool_status(engine: Any) -> dict[str, int]:
    """Size, in use and overflow of a SQLAlchemy engine's pool (zeros where not pooled)."""
    pool = engine.sync_engine.pool if hasattr(engine, "sync_engine") else engine.pool
    size = getattr(pool, "size", lambda: 0)()
    checked_out = getattr(pool, "checkedout", lambda: 0)()
    overflow = max(0, getattr(pool, "overflow", lambda: 0)())
    return {"size": int(size), "checked_out": int(checked_out), "overflow": int(overflow)}


class _PoolCollector(Collector):
    """Pool gauges of every live instrumented engine, summed per pool label at scrape time."""

    def __init__(self) -> None:
        self._engines: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

    def add(self, engine: Engine, label: str) -> None:
        self._engines[engine] = label

    def collect(self) -> Iterator[Metric]:
        families = {
            "size": GaugeMetricFamily(
                "evalledger_db_pool_size", "Configured pool size", labels=["pool"]
            ),
            "checked_out": GaugeMetricFamily(
                "evalledger_db_pool_checked_out", "Connections in use", labels=["pool"]
            ),
            "overflow": GaugeMetricFamily(
                "evalledger_db_pool_overflow", "Connections above the pool size", labels=["pool"]
            ),
        }
        totals: dict[str, dict[str, int]] = {}
        for engine, label in list(self._engines.items()):
            summed = totals.setdefault(label, dict.fromkeys(families, 0))
            for name, value in pool_status(engine).items():
                summed[name] += value
        for label, figures in sorted(totals.items()):
            for name, family in families.items():
                family.add_metric([label], figures[name])
        yield from families.values()


_POOLS = _PoolCollector()
REGISTRY.register(_POOLS)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
