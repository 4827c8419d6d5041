"""Leaderboard latency with the results table at its full size (after the analytics scenario).

Runs after ``analytics summary at size`` (order 60), so the database already holds its
1,000,000 results (quick: 50,000) over the 100 agents ``an-000``..``an-099``; if run alone
(``--only leaderboard``) it fills the same table the same way first.

- ``xp``: agents ranked by XP, read from the agents table (O(agents)); no events needed.
- ``elo`` and ``bradley_terry``: fitted over the scored events. ``EVENTS`` events (2,000;
  quick 500) of 4 participants each, drawn from the 100 agents, are recorded first with
  ``Ledger.record_event``. Both run with the default bootstrap rounds
  (``settings.bootstrap_rounds``) for their 95% intervals.

The ledger caches what it computes from the events (ratings, intervals, events per agent)
while they are unchanged (``competitions.ratings_cache``). Two figures per method:

- ``leaderboard.<method>.<backend>``: the repeated request, events unchanged since the last
  one (the common case: boards are read far more often than events are recorded). It still
  reads the events' watermark and the agents, and builds every entry.
- ``leaderboard.<method>.cold.<backend>``: the first request after the events changed (the
  cache is cleared before each call), i.e. the full recomputation.
"""

from __future__ import annotations

import random
import statistics
import time

from sqlalchemy import func, select

from bench.core import Context, Figure, percentile, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result
from evalledger.agents.repository import results
from evalledger.competitions import ratings_cache

AGENTS = 100
PARTICIPANTS = 4
EVENT_TYPE = "bench-match"
CALLS = (("xp", 50), ("elo", 20), ("bradley_terry", 5))  # quick: 20, 5, 2


async def _ensure_results(ledger, names: list[str], target: int) -> int:
    async with ledger._read() as uow:
        have = int(
            (await uow.session.execute(select(func.count()).select_from(results))).scalar_one()
        )
    rng = random.Random(11)
    while have < target:
        n = min(10_000, target - have)
        await ledger.record_custody_tests(
            [{**result(rng), "agent_type": names[i % AGENTS]} for i in range(n)]
        )
        have += n
    return have


async def _ensure_events(ledger, names: list[str], target: int) -> float:
    have = 0
    page = await ledger.list_events(event_type=EVENT_TYPE, limit=1)
    if page.items:
        return 0.0  # already recorded (a second run on the same database)
    rng = random.Random(5)
    strength = {n: rng.gauss(0, 1) for n in names}
    t0 = time.perf_counter()
    while have < target:
        who = rng.sample(names, PARTICIPANTS)
        scores = {a: round(50 + 10 * strength[a] + rng.gauss(0, 10), 2) for a in who}
        best = max(scores.values())
        await ledger.record_event(
            {
                "event_type": EVENT_TYPE,
                "participants": who,
                "scores": scores,
                "winners": [a for a in who if scores[a] == best],
            }
        )
        have += 1
    return time.perf_counter() - t0


async def _latency(fn, calls: int, before=None) -> tuple[float, float]:
    for _ in range(2):  # warm
        await fn()
    samples = []
    for _ in range(calls):
        if before is not None:
            before()
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1000, percentile(samples, 99) * 1000


@scenario("leaderboard at size", order=65)
async def leaderboard(ctx: Context) -> list[Figure]:
    figures = []
    n_events = 500 if ctx.quick else 2_000
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        try:
            names = [f"an-{i:03d}" for i in range(AGENTS)]
            await ensure_agents(ledger, names)
            have = await _ensure_results(ledger, names, ctx.n["analytics"])
            ev_s = await _ensure_events(ledger, names, n_events)
            rounds = ledger.settings.bootstrap_rounds
            calls_by = (("xp", 20), ("elo", 5), ("bradley_terry", 2)) if ctx.quick else CALLS
            cold_calls = {"xp": 20, "elo": 3, "bradley_terry": 2} if not ctx.quick else {}
            cache = ratings_cache.for_database(ledger.db)
            for method, calls in calls_by:
                events = "" if method == "xp" else f", {n_events:,} events of {PARTICIPANTS}"
                extra = "" if method == "xp" else f", {rounds} bootstrap rounds"
                note = f"{AGENTS} agents" + (
                    f"; events recorded in {ev_s:.0f}s" if method != "xp" and ev_s else ""
                )
                for cold in (False, True):
                    n = cold_calls.get(method, 1 if method != "xp" else 5) if cold else calls
                    p50, p99 = await _latency(
                        lambda m=method, lg=ledger: lg.leaderboard(m),
                        n,
                        before=cache.clear if cold else None,
                    )
                    how = "first after a change (recomputed)" if cold else "repeated (cached)"
                    figures.append(
                        Figure(
                            f"leaderboard.{method}{'.cold' if cold else ''}.{backend}",
                            f"leaderboard('{method}') {how} at {have:,} results{events}{extra} "
                            f"({n} calls)",
                            backend,
                            p50,
                            "ms (p50)",
                            p50,
                            p99,
                            note=note,
                        )
                    )
        finally:
            await ledger.close()
    return figures
