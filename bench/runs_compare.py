"""Comparing two runs at size: ``python -m bench.runs_compare [--sizes 10000,100000]``.

Issue #19's target: the comparison of two runs of 100,000 samples each answers in under 1 s on
PostgreSQL. For each size, two runs (base and candidate) are recorded with ``record_run`` (no
samples), then their samples and scores are bulk-loaded (COPY on PostgreSQL, executemany on
SQLite): every sample has a pass/fail scorer ``match`` and a continuous scorer ``f1``; the
candidate lacks the base's last 10 samples and has 5 of its own, so the missing samples are
part of what is measured. A second pair of runs has 2 epochs per sample.

Times ``Ledger.compare_runs`` end to end (the default 1,000 bootstrap rounds; p50 of
``--repeats`` calls) per scorer and for both scorers at once, and prints the ratio between
the sizes. ``--profile`` also prints a cProfile of one call at the largest size on
PostgreSQL. Databases: ``bench_compare_speed`` on PostgreSQL (dropped afterwards) and a
temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert

from evalledger.runs.repository import samples as samples_table
from evalledger.runs.repository import scores as scores_table
from evalledger.runs.repository import store_summaries
from evalledger.sdk.ledger import Ledger

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "bench_compare_speed"
PROJECT = uuid.UUID("00000000-0000-0000-0000-000000000001")

#: name -> (label, scorers passed to compare_runs)
CASES: dict[str, tuple[str, list[str] | None]] = {
    "match": ("match (pass/fail)", ["match"]),
    "f1": ("f1 (continuous)", ["f1"]),
    "both": ("both scorers", None),
}

Row = tuple[Any, ...]


def run_rows(
    run_id: uuid.UUID, n: int, epochs: int, candidate: bool, seed: int
) -> tuple[list[Row], list[Row]]:
    """(samples, scores) rows of one run: ``n`` samples (the candidate: the base's first
    n - 10 and 5 of its own), each epoch scored by ``match`` and ``f1``."""
    rng = random.Random(seed)
    ids = [f"q{i:07d}" for i in range(n)]
    if candidate:
        ids = ids[:-10] + [f"new{i}" for i in range(5)]
    sample_rows: list[Row] = []
    score_rows: list[Row] = []
    for sample_id in ids:
        for epoch in range(1, epochs + 1):
            pk = uuid.uuid4()
            sample_rows.append((pk, run_id, PROJECT, sample_id, epoch))
            passed = rng.random() < (0.72 if candidate else 0.70)
            f1 = round(rng.random() * 0.6 + (0.32 if candidate else 0.3), 3)
            key = (sample_id, epoch)  # each score row carries its sample's (migration 0010)
            score_rows.append(
                (uuid.uuid4(), pk, run_id, PROJECT, *key, "match", float(passed), passed)
            )
            score_rows.append((uuid.uuid4(), pk, run_id, PROJECT, *key, "f1", f1, f1 >= 0.5))
    return sample_rows, score_rows


SAMPLE_COLUMNS = ["id", "run_id", "project_id", "sample_id", "epoch"]
SCORE_COLUMNS = [
    "id",
    "sample_pk",
    "run_id",
    "project_id",
    "sample_id",
    "epoch",
    "scorer",
    "value",
    "passed",
]


def chunks(rows: list[Row], size: int = 20_000) -> Iterator[list[Row]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def load(ledger: Ledger, url: str, n: int, epochs: int) -> tuple[uuid.UUID, uuid.UUID]:
    """Record a base and a candidate run of ``n`` samples and bulk-load their scores (or,
    with ``--keep``, find the ones an earlier run of the bench left)."""
    if url.startswith("postgresql"):
        raw = await asyncpg.connect(f"{PG_ADMIN}/{DB}")
        try:
            found = await raw.fetch(
                "SELECT id FROM eval_runs WHERE task = $1 ORDER BY model", f"bench-{n}-{epochs}"
            )
        finally:
            await raw.close()
        if len(found) == 2:
            return found[0]["id"], found[1]["id"]
    ids = []
    for candidate in (False, True):
        recorded = await ledger.record_run(
            {
                "external_id": f"{n}-{epochs}-{candidate}-{uuid.uuid4()}",
                "task": f"bench-{n}-{epochs}",
                "model": "candidate" if candidate else "base",
                "dataset_hash": "h1",
                "samples": [],
            }
        )
        run_id = recorded.run.id
        seed = 2 * (n + epochs) + candidate
        sample_rows, score_rows = run_rows(run_id, n, epochs, candidate, seed)
        if url.startswith("postgresql"):
            raw = await asyncpg.connect(f"{PG_ADMIN}/{DB}")
            try:
                await raw.copy_records_to_table(
                    "eval_samples", records=sample_rows, columns=SAMPLE_COLUMNS
                )
                await raw.copy_records_to_table(
                    "eval_sample_scores", records=score_rows, columns=SCORE_COLUMNS
                )
                await raw.execute("VACUUM ANALYZE eval_samples")
                await raw.execute("VACUUM ANALYZE eval_sample_scores")
            finally:
                await raw.close()
        else:
            async with ledger.db.engine.begin() as conn:
                for table, columns, rows in (
                    (samples_table, SAMPLE_COLUMNS, sample_rows),
                    (scores_table, SCORE_COLUMNS, score_rows),
                ):
                    for part in chunks(rows):
                        mapped = [dict(zip(columns, row, strict=True)) for row in part]
                        await conn.execute(insert(table), mapped)
        async with ledger._write() as uow:  # as recording or importing a run leaves it
            await store_summaries(uow, run_id)
        ids.append(run_id)
    return ids[0], ids[1]


async def time_compare(
    ledger: Ledger, base: uuid.UUID, candidate: uuid.UUID, scorer: list[str] | None, repeats: int
) -> tuple[float, Any]:
    """p50 seconds of ``repeats`` calls, and the last answer."""
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = await ledger.compare_runs(base, candidate, scorer=scorer)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


async def profile(
    ledger: Ledger, base: uuid.UUID, candidate: uuid.UUID, scorer: list[str] | None
) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    await ledger.compare_runs(base, candidate, scorer=scorer)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


async def fresh_postgres(keep: bool) -> str:
    admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB)
        if not (keep and exists):
            await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await admin.close()
    return f"{PG_ADMIN.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"


async def drop_postgres() -> None:
    admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    finally:
        await admin.close()


async def bench_backend(
    name: str, url: str, args: argparse.Namespace
) -> dict[tuple[int, int, str], float]:
    figures: dict[tuple[int, int, str], float] = {}
    sizes, repeats = args.sizes, args.repeats
    ledger = await Ledger.open(url, migrate_schema=True)
    try:
        for n in sizes:
            for epochs in args.epochs:
                started = time.perf_counter()
                base, candidate = await load(ledger, url, n, epochs)
                print(
                    f"[{name}] loaded 2 runs of {n:,} samples x {epochs} epoch(s) "
                    f"in {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
                for label, scorer in (CASES[case] for case in args.cases):
                    p50, result = await time_compare(ledger, base, candidate, scorer, repeats)
                    figures[(n, epochs, label)] = p50
                    entry = result.comparison.scorers[0]
                    print(
                        f"[{name}] n={n:,} epochs={epochs} {label}: p50 {p50:.3f} s "
                        f"(pairs {entry.n_pairs:,}, missing {entry.counts.missing}, "
                        f"test {entry.test.name}, p={entry.test.p_value:.3g}, "
                        f"diff {entry.difference.estimate:+.4f} "
                        f"[{entry.difference.low:+.4f}, {entry.difference.high:+.4f}])",
                        flush=True,
                    )
                if args.profile and n == sizes[-1] and epochs == args.epochs[0]:
                    scorer = CASES[args.cases[0]][1]
                    print(await profile(ledger, base, candidate, scorer), flush=True)
    finally:
        await ledger.close()
    return figures


def ratios(name: str, figures: dict[tuple[int, int, str], float], args: argparse.Namespace) -> None:
    sizes = args.sizes
    if len(sizes) < 2:
        return
    small, large = sizes[0], sizes[-1]
    for epochs in args.epochs:
        for label, _ in (CASES[case] for case in args.cases):
            a, b = figures[(small, epochs, label)], figures[(large, epochs, label)]
            print(
                f"[{name}] epochs={epochs} {label}: {small:,} -> {large:,} samples: "
                f"{a:.3f} s -> {b:.3f} s ({b / a:.1f}x for {large / small:.0f}x the samples)"
            )


def numbers(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", type=numbers)
    parser.add_argument("--epochs", default="1,2", type=numbers)
    parser.add_argument("--cases", default="match,f1,both", type=lambda s: s.split(","))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backend", choices=["both", "postgresql", "sqlite"], default="both")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (and reuse its runs)"
    )
    args = parser.parse_args()
    if args.backend in ("both", "postgresql"):
        url = await fresh_postgres(args.keep)
        try:
            figures = await bench_backend("postgresql", url, args)
        finally:
            if not args.keep:
                await drop_postgres()
        ratios("postgresql", figures, args)
    if args.backend in ("both", "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'compare.db'}"
            figures = await bench_backend("sqlite", url, args)
        ratios("sqlite", figures, args)


if __name__ == "__main__":
    asyncio.run(main())
