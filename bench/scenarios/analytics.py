"""Analytics summary latency with the results table at its full size (1M; quick: 50k)."""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import func, select

from bench.core import Context, Figure, percentile, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result
from evalledger.agents.repository import results

AGENTS = 100
BATCH = 10_000
CALLS = 50


@scenario("analytics summary at size", order=60)
async def analytics(ctx: Context) -> list[Figure]:
    figures = []
    target = ctx.n["analytics"]
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        try:
            names = [f"an-{i:03d}" for i in range(AGENTS)]
            await ensure_agents(ledger, names)
            async with ledger._read() as uow:
                have = int(
                    (
                        await uow.session.execute(select(func.count()).select_from(results))
                    ).scalar_one()
                )
            rng = random.Random(11)
            started = time.perf_counter()
            while have < target:
                n = min(BATCH, target - have)
                await ledger.record_custody_tests(
                    [{**result(rng), "agent_type": names[i % AGENTS]} for i in range(n)]
                )
                have += n
            fill = time.perf_counter() - started
            for _ in range(3):  # warm
                await ledger.get_analytics_summary()
            samples = []
            for _ in range(CALLS):
                t0 = time.perf_counter()
                await ledger.get_analytics_summary()
                samples.append(time.perf_counter() - t0)
            p50 = statistics.median(samples) * 1000
            figures.append(
                Figure(
                    f"analytics.summary.{backend}",
                    f"analytics summary latency at {have:,} results ({CALLS} calls)",
                    backend,
                    p50,
                    "ms (p50)",
                    p50,
                    percentile(samples, 99) * 1000,
                    note=f"filled in {fill:.0f}s",
                )
            )
        finally:
            await ledger.close()
    return figures
