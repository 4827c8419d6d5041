"""evalledger batch ingest: in process (``record_custody_tests``) and over REST."""

from __future__ import annotations

import random

from bench.core import Context, Figure, Timer, rate_figure, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result

BATCH = 5000
AGENTS = 100


def batches(total: int, seed: int) -> list[list[dict]]:
    rng = random.Random(seed)
    names = [f"batch-{i:03d}" for i in range(AGENTS)]
    rows = [{**result(rng), "agent_type": names[i % AGENTS]} for i in range(total)]
    return [rows[i : i + BATCH] for i in range(0, total, BATCH)]


@scenario("batch ingest in process", order=20)
async def batch_inprocess(ctx: Context) -> list[Figure]:
    figures = []
    total = ctx.n["batch"]
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        try:
            await ensure_agents(ledger, [f"batch-{i:03d}" for i in range(AGENTS)])
            work = batches(total, seed=len(backend))
            with Timer() as t:
                for chunk in work:
                    await ledger.record_custody_tests(chunk)
            figures.append(
                rate_figure(
                    f"batch.inproc.{backend}",
                    f"evalledger batch ingest, in process, batches of {BATCH}, {AGENTS} agents",
                    backend,
                    total,
                    t.elapsed,
                    "results/s",
                )
            )
        finally:
            await ledger.close()
    return figures
