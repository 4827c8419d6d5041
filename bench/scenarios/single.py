"""evalledger single-result recording, in process: 16 concurrent writers on 1, 100 and (full
run) 10,000 agents, so how the cost grows with the number of agents shows in one run."""

from __future__ import annotations

import random

from bench.core import Context, Figure, rate_figure, run_concurrent, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result
from evalledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork

WRITERS = 16
#: The quick run (CI) stops at 100: creating 10,000 agents takes a minute per backend.
AGENT_COUNTS = (1, 100, 10_000)
#: The 10,000 agents live in a project of their own. The analytics summary and every
#: leaderboard read all of a project's agents, and their targets are set at the bench's 100
#: agents: in the 2026-12-01 18:00 run, with these 10,000 in the same project, a cached `xp`
#: leaderboard took 182 ms instead of about 5.
MANY_AGENTS = 1_000
MANY_AGENTS_PROJECT = "bench-many-agents"


async def _ledger_for(url: str, agents_n: int) -> Ledger:
    if agents_n < MANY_AGENTS:
        return await open_ledger(url)
    ledger = await open_ledger(url)
    try:
        async with UnitOfWork(ledger.db, tenant_scoped=False) as uow:
            await tenancy.create_project(uow, MANY_AGENTS_PROJECT)
    finally:
        await ledger.close()
    return await Ledger.open(url, project=MANY_AGENTS_PROJECT)


async def tests_given(ledger: Ledger, names: list[str]) -> int:
    """The results the agents ``names`` have counted (one query for all of them)."""
    wanted = set(names)
    return sum(a.total_tests_given for a in await ledger.list_agents() if a.agent_type in wanted)


@scenario("single results in process", order=10)
async def single_inprocess(ctx: Context) -> list[Figure]:
    figures = []
    total = ctx.n["single"]
    for backend in BACKENDS:
        for agents_n in AGENT_COUNTS[: 2 if ctx.quick else 3]:
            ledger = await _ledger_for(ctx.url(backend), agents_n)
            try:
                names = [f"single-{agents_n}-{i:05d}" for i in range(agents_n)]
                await ensure_agents(ledger, names)
                rng = random.Random(agents_n)
                payloads = [result(rng) for _ in range(total)]
                before = await tests_given(ledger, names)

                feed = iter(enumerate(payloads))

                async def op(w: int, i: int, feed=feed, ledger=ledger, names=names) -> None:  # type: ignore[no-untyped-def]
                    k, payload = next(feed)
                    await ledger.update_custody_test_result(names[k % len(names)], payload)

                secs, lat = await run_concurrent(total, WRITERS, op)
                after = await tests_given(ledger, names)
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
