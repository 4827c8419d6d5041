"""The results query at scale: ``python -m bench.results_at_scale [--rows N]``.

Fills a fresh PostgreSQL database (``evalledger_bench_results``) with ``N`` results (default
10,000,000) for 100 agents through server-side ``INSERT ... SELECT generate_series`` (the
application's write path is measured by ``bench.run``; this one is about reading), then times
``Ledger.list_results`` for each kind of filter (p50/p95 of repeated calls, a page of 50) and
records the plan PostgreSQL chose for each (``EXPLAIN (ANALYZE, BUFFERS)`` of the very
statement the ledger sent). Writes ``bench/results-at-scale.md``.

Counters are not kept consistent with the rows (``evalledger verify`` would say so): only the
results table is read here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from evalledger.config import load_settings
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.sdk.ledger import Ledger

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "evalledger_bench_results"
AGENTS = 100
CHUNK = 1_000_000
OUT = Path(__file__).resolve().parent / "results-at-scale.md"

FILL = """
INSERT INTO custody_test_results (
    id, project_id, ai_type, test_id, test_category, test_difficulty, test_type, passed,
    score, xp_awarded, learning_score_awarded, agent_epoch, created_at, updated_at, tags,
    metadata, metrics, agent_version)
SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000001',
       'agent-' || (g % {agents}),
       't' || g,
       (ARRAY['security','integrity','reasoning','safety','tools'])[g % 5 + 1],
       (ARRAY['basic','intermediate','advanced','expert'])[g % 4 + 1],
       (ARRAY['custody','olympus','collaborative'])[g % 3 + 1],
       g % 3 <> 0,
       (g * 7) % 101,
       1, 0, 0,
       $1::timestamptz - (g || ' seconds')::interval,
       $1::timestamptz - (g || ' seconds')::interval,
       CASE WHEN g % 100000 = 0 THEN '["nightly", "rare"]'::jsonb
            ELSE jsonb_build_array('nightly', 'suite-' || (g % 50)) END,
       jsonb_build_object('dataset', 'd' || (g % 20)),
       '{{}}'::jsonb,
       'v' || (g % 4)
FROM generate_series($2::bigint, $3::bigint) AS g
"""

#: (what, list_results keyword arguments)
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("newest page of the project", {}),
    ("one agent", {"agent": "agent-7"}),
    ("one agent, failed only", {"agent": "agent-7", "passed": False}),
    ("one agent's version", {"agent": "agent-7", "agent_version": "v3"}),
    ("a common tag (all rows carry it)", {"tag": ["nightly"]}),
    ("a rare tag (1 in 100,000)", {"tag": ["rare"]}),
    ("score range 90-100", {"min_score": 90, "max_score": 100}),
    ("metadata dataset = d3", {"metadata": ["dataset=d3"]}),
    ("category and difficulty", {"category": "safety", "difficulty": "expert"}),
    ("one agent, by score", {"agent": "agent-7", "sort": "score"}),
    ("the last hour", {"since": "LAST_HOUR"}),
    ("page 21 of one agent (cursor)", {"agent": "agent-7", "pages": 20}),
]


async def fresh_database() -> str:
    admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await admin.close()
    url = f"{PG_ADMIN.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
    db = Database(load_settings(database_url=url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    return url


async def fill(url: str, rows: int, now: datetime) -> float:
    raw = await asyncpg.connect(f"{PG_ADMIN}/{DB}")
    started = time.perf_counter()
    try:
        for start in range(1, rows + 1, CHUNK):
            end = min(rows, start + CHUNK - 1)
            await raw.execute(FILL.format(agents=AGENTS), now, start, end)
            print(f"  {end:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
        await raw.execute("VACUUM ANALYZE custody_test_results")
    finally:
        await raw.close()
    return time.perf_counter() - started


async def timed(ledger: Ledger, kwargs: dict[str, Any], now: datetime, calls: int) -> list[float]:
    args = dict(kwargs)
    pages = args.pop("pages", 0)
    if args.get("since") == "LAST_HOUR":
        args["since"] = now - timedelta(hours=1)
    cursor = None
    for _ in range(pages):  # walk to the page, then time reading it
        cursor = (await ledger.list_results(**args, limit=50, cursor=cursor)).next_cursor
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await ledger.list_results(**args, limit=50, cursor=cursor)
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def plan_of(ledger: Ledger, kwargs: dict[str, Any], now: datetime) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement the ledger sends for ``kwargs``."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "custody_test_results" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, params))

    engine = ledger.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await timed(ledger, kwargs, now, 1)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, params = seen[-1]
    async with ledger.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        rows = await driver.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)
    return "\n".join(r[0] for r in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    now = datetime.now(UTC)
    url = await fresh_database()
    ledger = await Ledger.open(url)
    try:
        for n in range(AGENTS):
            await ledger.create_or_update_agent_metrics(f"agent-{n}")
        print(f"filling {args.rows:,} results ...", flush=True)
        seconds = await fill(url, args.rows, now)
        lines = [
            f"# The results query at {args.rows:,} results (PostgreSQL)",
            "",
            f"`python -m bench.results_at_scale --rows {args.rows}`, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; filled in {seconds:.0f} s; "
            f"{AGENTS} agents; a page is 50 results; {args.calls} calls each.",
            "",
            "| filter | p50 ms | p95 ms |",
            "|---|---|---|",
        ]
        plans = []
        for what, kwargs in QUERIES:
            times = sorted(await timed(ledger, kwargs, now, args.calls))
            p50 = statistics.median(times)
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            lines.append(f"| {what} | {p50:.1f} | {p95:.1f} |")
            print(lines[-1], flush=True)
            plans += [f"### {what}", "", "```text", await plan_of(ledger, kwargs, now), "```", ""]
        OUT.write_text("\n".join([*lines, "", "## Plans", "", *plans]), encoding="utf-8")
        print(f"wrote {OUT}")
    finally:
        await ledger.close()
        async with asyncpg.create_pool(f"{PG_ADMIN}/postgres", min_size=1, max_size=1) as pool:
            await pool.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
