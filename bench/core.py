"""The bench's small framework: a scenario registry, the run context and timing helpers.

A scenario is an ``async def`` taking a :class:`Context` and returning one or more
:class:`Figure` rows; it registers itself with ``@scenario(...)`` in a module under
``bench/scenarios/``. The runner imports every module there, so adding a scenario (for
instance the assessments export/import/verify family) is adding one file.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Figure:
    """One measured line of the report."""

    key: str  # stable id used by targets, e.g. "single.inproc.one_agent.pg"
    label: str
    backend: str  # "postgresql", "sqlite", "-"
    value: float
    unit: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""


@dataclass
class Context:
    quick: bool
    pg_url: str  # postgresql+asyncpg://.../evalledger_bench
    pg_dsn: str  # postgresql://.../evalledger_bench (asyncpg / libpq)
    sqlite_url: str
    workdir: Path
    mlflow_python: Path | None
    n: dict[str, int] = field(default_factory=dict)
    shared: dict[str, Any] = field(default_factory=dict)

    def url(self, backend: str) -> str:
        return self.pg_url if backend == "postgresql" else self.sqlite_url


ScenarioFn = Callable[[Context], Awaitable[Sequence[Figure]]]


@dataclass
class Scenario:
    name: str
    fn: ScenarioFn
    order: int
    needs_mlflow: bool = False


REGISTRY: list[Scenario] = []


def scenario(
    name: str, *, order: int = 50, needs_mlflow: bool = False
) -> Callable[[ScenarioFn], ScenarioFn]:
    def register(fn: ScenarioFn) -> ScenarioFn:
        REGISTRY.append(Scenario(name, fn, order, needs_mlflow))
        return fn

    return register


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.start


def growing_sizes(largest: int) -> list[int]:
    """10,000, then x10 while it fits, then ``largest`` itself: the sizes a bulk scenario
    runs at, so that how its cost grows shows in one run (full: 10,000, 100,000 and
    1,000,000)."""
    out = [10_000]
    while out[-1] * 10 <= largest:
        out.append(out[-1] * 10)
    if largest > out[-1]:
        out.append(largest)
    return out


def growth_note(rate: float, previous: float | None) -> str:
    """How a rate compares with the one at the size before (empty for the first size)."""
    return "" if previous is None else f"; {rate / previous:.2f}x the rate of the size before"


def percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def run_concurrent(
    total: int, workers: int, op: Callable[[int, int], Awaitable[Any]]
) -> tuple[float, list[float]]:
    """Run ``op(worker, i)`` ``total`` times across ``workers`` tasks; (seconds, latencies)."""
    latencies: list[float] = []
    per_worker = [total // workers + (1 if w < total % workers else 0) for w in range(workers)]

    async def worker(w: int) -> None:
        for i in range(per_worker[w]):
            t0 = time.perf_counter()
            await op(w, i)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return time.perf_counter() - start, latencies


def rate_figure(
    key: str,
    label: str,
    backend: str,
    count: int,
    seconds: float,
    unit: str,
    latencies: Sequence[float] | None = None,
    note: str = "",
) -> Figure:
    p50 = p99 = None
    if latencies:
        p50 = statistics.median(latencies) * 1000
        p99 = percentile(latencies, 99) * 1000
    return Figure(key, label, backend, count / seconds, unit, p50, p99, note)
