"""evalledger single-result recording, in process: 16 concurrent writers, 1 and 100 agents."""

from __future__ import annotations

import random

from bench.core import Context, Figure, rate_figure, run_concurrent, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result

WRITERS = 16


@scenario("single results in process", order=10)
async def single_inprocess(ctx: Context) -> list[Figure]:
    figures = []
    total = ctx.n["single"]
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        try:
            for agents_n in (1, 100):
                names = [f"single-{agents_n}-{i:03d}" for i in range(agents_n)]
                await ensure_agents(ledger, names)
                rng = random.Random(agents_n)
                payloads = [result(rng) for _ in range(total)]
                before = sum(
                    [(await ledger.get_custody_metrics(n)).total_tests_given for n in names]
                )

                feed = iter(enumerate(payloads))

                async def op(w: int, i: int, feed=feed, ledger=ledger, names=names) -> None:  # type: ignore[no-untyped-def]
                    k, payload = next(feed)
                    await ledger.update_custody_test_result(names[k % len(names)], payload)

                secs, lat = await run_concurrent(total, WRITERS, op)
                after = sum(
                    [(await ledger.get_custody_metrics(n)).total_tests_given for n in names]
                )
                lost = total - (after - before)
                figures.append(
                    rate_figure(
                        f"single.inproc.{agents_n}.{backend}",
                        f"evalledger single result, in process, {WRITERS} writers, "
                        f"{agents_n} agent{'s' if agents_n > 1 else ''}",
                        backend,
                        total,
                        secs,
                        "results/s",
                        lat,
                        note=f"lost updates: {lost}",
                    )
                )
                ctx.shared[f"lost.single.{agents_n}.{backend}"] = lost
        finally:
            await ledger.close()
    return figures
