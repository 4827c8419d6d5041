"""evalledger batch ingest in process (``record_custody_tests``), against its fair peer.

The target (issue 20) compares the batch path with raw ``COPY`` into a table with the same
indexes, so the peer is measured here, in the same scenario, interleaved with the batch: a
clone of ``custody_test_results`` (``LIKE ... INCLUDING ALL``: its indexes, defaults and
CHECK constraints, no foreign keys), filled first with the real table's rows so that both
start at the same size, into which pre-built, pre-encoded tuples of the same columns and
values are copied 5,000 per ``COPY`` (one transaction each, like one batch each).

Each size (10,000, then x10 up to ``ctx.n["batch"]``: 1,000,000 in a full run) runs three
times up to 100,000 and once above, the peer and the batch alternating which goes first,
each after a ``CHECKPOINT`` (so neither inherits the other's dirty pages). A figure is the
median, its note the spread (min-max) and the batch/peer ratio of each run, and its rate
relative to the size before it. The targets read the largest size measured three times
(100,000 in a full run), so that their figure comes with its spread; the sizes above show
how the cost grows as the table does.
"""

from __future__ import annotations

import functools
import json
import random
import statistics
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.core import Context, Figure, Timer, growing_sizes, growth_note, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger, result
from evalledger.agents.batch import COLUMNS
from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.sdk.ledger import Ledger

BATCH = 5000
AGENTS = 100
REPEATS = 3
#: Above this size a run is made once: three runs of 1,000,000 results took about 25 minutes
#: on the 2-core bench machine (SQLite slows as its random-key indexes grow).
REPEAT_UP_TO = 100_000
CLONE = "bench_clone_results"


def batches(total: int, seed: int) -> list[list[dict]]:
    rng = random.Random(seed)
    names = [f"batch-{i:03d}" for i in range(AGENTS)]
    rows = [{**result(rng), "agent_type": names[i % AGENTS]} for i in range(total)]
    return [rows[i : i + BATCH] for i in range(0, total, BATCH)]


def peer_rows(work: list[list[dict]]) -> list[tuple[Any, ...]]:
    """The rows the batch writes (same columns, same kind of values), encoded for asyncpg."""
    now = datetime.now(UTC)
    empty_list, empty_object = json.dumps([]), json.dumps({})
    out = []
    for chunk in work:
        for r in chunk:
            rid = uuid.uuid4()
            values = {
                "id": rid, "project_id": DEFAULT_PROJECT_ID, "ai_type": r["agent_type"],
                "test_id": str(rid), "test_category": r["test_category"],
                "test_difficulty": "basic", "test_type": r["test_type"],
                "passed": r["passed"], "score": r["score"], "xp_awarded": 10,
                "learning_score_awarded": 0.0, "duration": r["duration"], "tested_at": None,
                "agent_epoch": 0, "tags": empty_list, "metadata": empty_object,
                "metrics": empty_object, "created_at": now, "updated_at": now,
            }  # fmt: skip
            out.append(tuple(values.get(c) for c in COLUMNS))
    return out


async def _ingest(ledger: Ledger, work: list[list[dict]]) -> None:
    for chunk in work:
        await ledger.record_custody_tests(chunk)


async def _copy(conn: asyncpg.Connection, rows: list[tuple[Any, ...]]) -> None:
    for start in range(0, len(rows), BATCH):
        await conn.copy_records_to_table(
            CLONE, records=rows[start : start + BATCH], columns=COLUMNS
        )


async def _timed(fn: Callable[[], Awaitable[None]], pg_dsn: str) -> float:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    with Timer() as t:
        await fn()
    return t.elapsed


def _spread(rates: list[float]) -> str:
    if len(rates) == 1:
        return "1 run"
    low, high = min(rates), max(rates)
    return f"{len(rates)} runs {low:,.0f}-{high:,.0f} (spread {(high - low) / high * 100:.0f}%)"


@scenario("batch ingest in process", order=20)
async def batch_inprocess(ctx: Context) -> list[Figure]:
    figures: list[Figure] = []
    seed = 0
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        conn = await asyncpg.connect(ctx.pg_dsn) if backend == "postgresql" else None
        try:
            await ensure_agents(ledger, [f"batch-{i:03d}" for i in range(AGENTS)])
            if conn is not None:
                await conn.execute(f"DROP TABLE IF EXISTS {CLONE}")
                await conn.execute(
                    f"CREATE TABLE {CLONE} (LIKE custody_test_results INCLUDING ALL)"
                )
                await conn.execute(f"INSERT INTO {CLONE} SELECT * FROM custody_test_results")
            previous: float | None = None
            all_sizes = growing_sizes(ctx.n["batch"])
            target_size = max(s for s in all_sizes if s <= REPEAT_UP_TO)
            for size in all_sizes:
                ours: list[float] = []
                peers: list[float] = []
                for run in range(REPEATS if size <= REPEAT_UP_TO else 1):
                    seed += 1
                    work = batches(size, seed)

                    batch = functools.partial(_ingest, ledger, work)
                    if conn is None:
                        ours.append(size / await _timed(batch, ctx.pg_dsn))
                        continue
                    peer = functools.partial(_copy, conn, peer_rows(work))
                    if run % 2 == 0:
                        peers.append(size / await _timed(peer, ctx.pg_dsn))
                        ours.append(size / await _timed(batch, ctx.pg_dsn))
                    else:
                        ours.append(size / await _timed(batch, ctx.pg_dsn))
                        peers.append(size / await _timed(peer, ctx.pg_dsn))
                rate = statistics.median(ours)
                note = _spread(ours)
                if peers:
                    ratios = ", ".join(f"{o / p:.2f}x" for o, p in zip(ours, peers, strict=True))
                    note += f"; vs the indexed COPY of the same run: {ratios}"
                note += growth_note(rate, previous)
                previous = rate
                last = size == target_size
                figures.append(
                    Figure(
                        f"batch.inproc.{backend}" + ("" if last else f".{size}"),
                        f"evalledger batch ingest, in process, {size:,} results, batches of "
                        f"{BATCH}, {AGENTS} agents",
                        backend,
                        rate,
                        "results/s",
                        note=note,
                    )
                )
                if peers:
                    figures.append(
                        Figure(
                            "batch.copy_indexed.postgresql" + ("" if last else f".{size}"),
                            f"raw asyncpg COPY of the same {size:,} rows (pre-encoded) into a "
                            "clone of custody_test_results with its indexes (no foreign keys)",
                            backend,
                            statistics.median(peers),
                            "rows/s",
                            note=_spread(peers),
                        )
                    )
        finally:
            if conn is not None:
                await conn.execute(f"DROP TABLE IF EXISTS {CLONE}")
                await conn.close()
            await ledger.close()
    return figures
