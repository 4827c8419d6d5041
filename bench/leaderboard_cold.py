"""The first leaderboard after an event, and where its time goes (issue 20).

``python -m bench.leaderboard_cold [--events 2000] [--calls 5] [--db NAME] [--sqlite FILE]
[--keep] [--reuse]``

The leaderboard scenario (``bench/scenarios/leaderboard.py``) measures the same request
after the analytics scenario's 1,000,000 results, which the leaderboard never reads; this
script records only what it reads (100 agents and ``--events`` events of 4, exactly as the
scenario does), in its own PostgreSQL database ``--db`` (default ``bench_leaderboard_speed``)
and a SQLite file (default: a temporary one), so it runs in a minute. Both are made afresh
and dropped at the end unless ``--reuse`` (keep what is there) and ``--keep`` (leave them):
with those, another checkout's sources first on ``PYTHONPATH`` measure on the same data.

For ``elo`` and ``bradley_terry`` it prints the p50 of ``--calls`` cold requests (the
ratings cache cleared before each, as the scenario's ``.cold`` figures) and, on their own,
the read of the scored rows and the fit (wall and CPU time: on a shared machine the CPU
time is the steadier of the two).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.run import PG_ADMIN
from bench.scenarios._common import ensure_agents, open_ledger
from bench.scenarios.leaderboard import AGENTS, _ensure_events
from evalledger.competitions import ratings_cache
from evalledger.competitions.leaderboard import compute_ratings, group_events
from evalledger.competitions.service import CompetitionsService
from evalledger.config import load_settings
from evalledger.db import migrate
from evalledger.db.engine import Database


async def _fresh(url: str) -> None:
    db = Database(load_settings(database_url=url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


async def _measure(url: str, backend: str, events: int, calls: int) -> None:
    ledger = await open_ledger(url)
    try:
        names = [f"an-{i:03d}" for i in range(AGENTS)]
        await ensure_agents(ledger, names)
        await _ensure_events(ledger, names, events)
        cache = ratings_cache.for_database(ledger.db)
        rounds = ledger.settings.bootstrap_rounds
        for method in ("elo", "bradley_terry"):
            await ledger.leaderboard(method)  # warm: imports, connections
            cold, read, fit_wall, fit_cpu = [], [], [], []
            for _ in range(calls):
                cache.clear()
                t0 = time.perf_counter()
                await ledger.leaderboard(method)
                cold.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                async with ledger._read() as uow:
                    rows = await CompetitionsService(uow, ledger.settings).events.scored_rows(None)
                read.append(time.perf_counter() - t0)
                t0, c0 = time.perf_counter(), time.process_time()
                compute_ratings(method, group_events(rows), rounds=rounds)
                fit_wall.append(time.perf_counter() - t0)
                fit_cpu.append(time.process_time() - c0)
            ms = [statistics.median(x) * 1000 for x in (cold, read, fit_wall, fit_cpu)]
            print(
                f"{backend:10} {method:13} {events:,} events, {rounds} rounds: first request "
                f"p50 {ms[0]:7.1f} ms | read rows {ms[1]:6.1f} ms | fit {ms[2]:7.1f} ms wall, "
                f"{ms[3]:7.1f} ms CPU ({calls} calls)"
            )
    finally:
        await ledger.close()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    if not args.reuse:
        await _admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")
        await _admin(f"CREATE DATABASE {args.db}")
    pg_url = f"{PG_ADMIN}/{args.db}".replace("postgresql://", "postgresql+asyncpg://", 1)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_file = Path(args.sqlite) if args.sqlite else Path(tmp) / "bench.db"
        if not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        try:
            for backend, url in (
                ("postgresql", pg_url),
                ("sqlite", f"sqlite+aiosqlite:///{sqlite_file}"),
            ):
                await _fresh(url)
                await _measure(url, backend, args.events, args.calls)
        finally:
            if not args.keep:
                await _admin(f"DROP DATABASE IF EXISTS {args.db} WITH (FORCE)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--db", default="bench_leaderboard_speed")
    parser.add_argument("--sqlite", help="SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="leave the databases")
    parser.add_argument("--reuse", action="store_true", help="use the databases as they are")
    asyncio.run(main(parser.parse_args()))
