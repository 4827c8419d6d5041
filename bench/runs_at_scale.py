"""Reading runs at scale: ``python -m bench.runs_at_scale [--samples N] [--small-runs K]
[--small-size M] [--sqlite-samples S]``.

What ``evalledger runs show RUN`` (``Ledger.get_run``) and ``evalledger runs samples RUN
--failed`` (``Ledger.list_samples(passed=False)``) cost when the ledger holds 1,000,000
samples. Two shapes, in the same database, so both are timed with the other present:

* the worst case for one run: one run holding ``N`` samples (default 1,000,000);
* the usual case: ``K`` more runs (default 100) of ``M`` samples each (default 10,000).

Every sample ran once with two scorers: ``match`` (0/1, failed by 30% of the samples) and
``judge`` (a value in [0, 1), failed by 1 sample in 1,000: the page of failures has to look
far). One output in 100,000 holds the word ``needle`` (``--search``).

Rows are generated where they are stored (PostgreSQL: ``INSERT ... SELECT generate_series``;
SQLite: ``executemany`` from the stdlib driver), not through the import path (``bench.run``
and the import benchmarks measure that); then the per-scorer summary of each run is written by
the very statement an import ends with (``repository.store_summaries``), and that is timed.
Each query is called ``--calls`` times (p50/p95), and the plan of every statement it sent is
recorded (``EXPLAIN (ANALYZE, BUFFERS)``; SQLite ``EXPLAIN QUERY PLAN``). Writes
``bench/runs-at-scale.md``; the PostgreSQL database and the SQLite file are dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from evalledger.config import load_settings
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.runs import repository as repo
from evalledger.sdk.ledger import Ledger

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "bench_runs_reads"
PROJECT = uuid.UUID("00000000-0000-0000-0000-000000000001")
CHUNK = 250_000
OUT = Path(__file__).resolve().parent / "runs-at-scale.md"

# One statement per table and chunk; the sample's key is derived from (run, n) so that the
# scores and texts of sample n find it without a round trip.
#: Whether scores carry their sample's key (migration 0010); without, the bench measures 0009.
KEYED = "sample_id" in repo.scores.c
KEY_COLUMNS = ", sample_id, epoch" if KEYED else ""
KEY_VALUES = ", 's' || g, 1" if KEYED else ""

PG_FILL = [
    """
INSERT INTO eval_samples (id, project_id, run_id, sample_id, epoch, input_tokens,
                          output_tokens, total_time)
SELECT md5($1::text || g)::uuid, '{project}', $1::uuid, 's' || g, 1, 10 + g % 50, 1 + g % 7,
       (g % 100) / 10.0
FROM generate_series($2::bigint, $3::bigint) AS g
""",
    """
INSERT INTO eval_sample_scores (id, project_id, sample_pk, run_id, scorer, value, passed, raw
                                {key_columns})
SELECT gen_random_uuid(), '{project}', md5($1::text || g)::uuid, $1::uuid, 'match',
       CASE WHEN g % 10 >= 3 THEN 1.0 ELSE 0.0 END, g % 10 >= 3,
       to_jsonb(CASE WHEN g % 10 >= 3 THEN 'C' ELSE 'I' END) {key_values}
FROM generate_series($2::bigint, $3::bigint) AS g
""",
    """
INSERT INTO eval_sample_scores (id, project_id, sample_pk, run_id, scorer, value, passed, raw
                                {key_columns})
SELECT gen_random_uuid(), '{project}', md5($1::text || g)::uuid, $1::uuid, 'judge',
       ((g * 7919) % 1000) / 1000.0, g % 1000 <> 0, to_jsonb(((g * 7919) % 1000) / 1000.0)
       {key_values}
FROM generate_series($2::bigint, $3::bigint) AS g
""",
    """
INSERT INTO eval_sample_texts (sample_pk, project_id, input, target, output, explanations,
                               metadata)
SELECT md5($1::text || g)::uuid, '{project}', to_jsonb('What is ' || g || ' + 1?'),
       to_jsonb((g + 1)::text),
       CASE WHEN g % 100000 = 7 THEN 'a needle: ' ELSE '' END || 'The answer is ' || (g + 1),
       '{{}}'::jsonb, '{{}}'::jsonb
FROM generate_series($2::bigint, $3::bigint) AS g
""",
]


def _samples(run: uuid.UUID, start: int, end: int) -> tuple[list[tuple[Any, ...]], ...]:
    """Rows of samples ``start..end`` of ``run`` for SQLite (uuids as 32 hex digits)."""
    samples, scores, texts = [], [], []
    project, run_hex = PROJECT.hex, run.hex
    for g in range(start, end + 1):
        pk = uuid.uuid5(run, str(g)).hex
        samples.append((pk, project, run_hex, f"s{g}", 1, 10 + g % 50, 1 + g % 7, g % 100 / 10))
        key = (f"s{g}", 1) if KEYED else ()
        match, judge = g % 10 >= 3, (g * 7919) % 1000 / 1000
        for scorer, value, passed, raw in (
            ("match", float(match), match, "C" if match else "I"),
            ("judge", judge, g % 1000 != 0, judge),
        ):
            row = (uuid.uuid4().hex, project, pk, run_hex, scorer, value, passed, json.dumps(raw))
            scores.append((*row, *key))
        output = ("a needle: " if g % 100000 == 7 else "") + f"The answer is {g + 1}"
        question, answer = json.dumps(f"What is {g} + 1?"), json.dumps(str(g + 1))
        texts.append((pk, project, question, answer, output, "{}", "{}"))
    return samples, scores, texts


SQLITE_FILL = [
    "INSERT INTO eval_samples (id, project_id, run_id, sample_id, epoch, input_tokens, "
    "output_tokens, total_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    f"INSERT INTO eval_sample_scores (id, project_id, sample_pk, run_id, scorer, value, passed, "
    f"raw{KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?{', ?, ?' if KEYED else ''})",
    "INSERT INTO eval_sample_texts (sample_pk, project_id, input, target, output, explanations, "
    "metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
]


class Backend:
    """Where the rows go, and how a plan is asked for, on one backend."""

    name: str
    url: str

    async def fill(self, run: uuid.UUID, count: int) -> None:
        raise NotImplementedError

    async def analyze(self) -> None:
        raise NotImplementedError

    async def plan(self, ledger: Ledger, statement: str, params: Any) -> str:
        raise NotImplementedError

    async def drop(self) -> None:
        raise NotImplementedError


class Postgres(Backend):
    name = "PostgreSQL"

    async def create(self) -> None:
        admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{DB}"')
        finally:
            await admin.close()
        self.url = f"{PG_ADMIN.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"

    async def fill(self, run: uuid.UUID, count: int) -> None:
        raw = await asyncpg.connect(f"{PG_ADMIN}/{DB}")
        try:
            for start in range(1, count + 1, CHUNK):
                end = min(count, start + CHUNK - 1)
                for sql in PG_FILL:
                    sql = sql.format(
                        project=PROJECT, key_columns=KEY_COLUMNS, key_values=KEY_VALUES
                    )
                    await raw.execute(sql, str(run), start, end)
        finally:
            await raw.close()

    async def analyze(self) -> None:
        raw = await asyncpg.connect(f"{PG_ADMIN}/{DB}")
        try:
            await raw.execute("VACUUM ANALYZE")
        finally:
            await raw.close()

    async def plan(self, ledger: Ledger, statement: str, params: Any) -> str:
        async with ledger.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            rows = await driver.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *params)
        return "\n".join(r[0] for r in rows)

    async def drop(self) -> None:
        admin = await asyncpg.connect(f"{PG_ADMIN}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        finally:
            await admin.close()


class Sqlite(Backend):
    name = "SQLite"

    async def create(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="bench_runs_reads")
        self.path = Path(self.dir.name) / "bench.db"
        self.url = f"sqlite+aiosqlite:///{self.path}"

    async def fill(self, run: uuid.UUID, count: int) -> None:
        def load() -> None:
            conn = sqlite3.connect(self.path)
            try:
                for start in range(1, count + 1, CHUNK):
                    rows = _samples(run, start, min(count, start + CHUNK - 1))
                    with conn:
                        for sql, batch in zip(SQLITE_FILL, rows, strict=True):
                            conn.executemany(sql, batch)
            finally:
                conn.close()

        await asyncio.to_thread(load)

    async def analyze(self) -> None:
        await asyncio.to_thread(lambda: sqlite3.connect(self.path).execute("ANALYZE").close())

    async def plan(self, ledger: Ledger, statement: str, params: Any) -> str:
        async with ledger.db.engine.connect() as conn:
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", tuple(params))
            return "\n".join(str(r[-1]) for r in rows)

    async def drop(self) -> None:
        self.dir.cleanup()


async def make_runs(ledger: Ledger, backend: Backend, sizes: list[int]) -> list[uuid.UUID]:
    """One run per size, with its samples and its stored summary; returns the run ids."""
    out = []
    for n, size in enumerate(sizes):
        run = ledger.record_run(
            {
                "harness": "inspect_ai",
                "external_id": f"bench-{n}",
                "task": "arith",
                "model": f"model-{n % 7}",
                "metrics": {"match": {"accuracy": 0.7}},
            }
        )
        recorded = await run
        out.append(recorded.run.id)
        await backend.fill(recorded.run.id, size)
    return out


async def summarise(ledger: Ledger, runs: list[uuid.UUID], sizes: list[int]) -> list[float]:
    """Write each run's stored summary as an import does at its end; the seconds of each."""
    times = []
    for run_id, size in zip(runs, sizes, strict=True):
        t0 = time.perf_counter()
        async with ledger._write() as uow:
            await repo.set_sample_count(uow, run_id, size)
            if hasattr(repo, "store_summaries"):
                await repo.store_summaries(uow, run_id)
        times.append(time.perf_counter() - t0)
    return times


Call = Callable[[Ledger], Awaitable[Any]]


def queries(big: uuid.UUID, small: uuid.UUID, sizes: tuple[int, int]) -> list[tuple[str, Call]]:
    async def page_two(ledger: Ledger, run: uuid.UUID, **kw: Any) -> Any:
        first = await ledger.list_samples(run, limit=50, **kw)
        return first.next_cursor

    def nth(run: uuid.UUID, **kw: Any) -> Call:
        cursor: list[str | None] = []

        async def call(ledger: Ledger) -> Any:
            if not cursor:
                cursor.append(await page_two(ledger, run, **kw))
            return await ledger.list_samples(run, limit=50, cursor=cursor[0], **kw)

        return call

    return [
        (f"runs show: the run of {sizes[0]:,}", lambda lg: lg.get_run(big)),
        (f"runs show: a run of {sizes[1]:,}", lambda lg: lg.get_run(small)),
        (
            "--failed --scorer match (30% fail): page 1",
            lambda lg: lg.list_samples(big, scorer="match", passed=False, limit=50),
        ),
        ("--failed --scorer match: page 2 (cursor)", nth(big, scorer="match", passed=False)),
        (
            "--failed --scorer judge (0.1% fail): page 1",
            lambda lg: lg.list_samples(big, scorer="judge", passed=False, limit=50),
        ),
        ("--failed --scorer judge: page 2 (cursor)", nth(big, scorer="judge", passed=False)),
        ("--failed (any scorer): page 1", lambda lg: lg.list_samples(big, passed=False, limit=50)),
        (
            f"--failed --scorer judge, run of {sizes[1]:,}",
            lambda lg: lg.list_samples(small, scorer="judge", passed=False, limit=50),
        ),
        ("all samples: page 1", lambda lg: lg.list_samples(big, limit=50)),
        (
            "--search 'answer is 1' (common)",
            lambda lg: lg.list_samples(big, search="answer is 1", limit=50),
        ),
        (
            "--search needle (1 in 100,000)",
            lambda lg: lg.list_samples(big, search="needle", limit=50),
        ),
    ]


async def timed(ledger: Ledger, call: Call, calls: int) -> list[float]:
    await call(ledger)  # warm: a cursor walked to, the statement cache
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        await call(ledger)
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)


async def plans_of(ledger: Ledger, backend: Backend, call: Call) -> list[str]:
    """The plan of each statement on the runs tables that one ``call`` sent."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "eval_" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, params))

    engine = ledger.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await call(ledger)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return [await backend.plan(ledger, statement, params) for statement, params in seen]


def _execution_ms(plans: list[str]) -> str:
    total = 0.0
    for plan in plans:
        for line in plan.splitlines():
            if line.startswith("Execution Time:"):
                total += float(line.split()[2])
    return f"{total:.2f}" if total else ""


async def bench(
    backend: Backend, samples: int, small_runs: int, small_size: int, calls: int
) -> list[str]:
    await backend.create()  # type: ignore[attr-defined]
    db = Database(load_settings(database_url=backend.url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    ledger = await Ledger.open(backend.url)
    try:
        sizes = [samples] + [small_size] * small_runs if small_runs else [samples]
        print(f"{backend.name}: filling {sum(sizes):,} samples in {len(sizes)} runs", flush=True)
        t0 = time.perf_counter()
        runs = await make_runs(ledger, backend, sizes)
        filled = time.perf_counter() - t0
        summaries = await summarise(ledger, runs, sizes)
        await backend.analyze()
        big, small = runs[0], runs[-1]
        lines = [
            f"## {backend.name}: {sum(sizes):,} samples "
            f"(one run of {samples:,}"
            + (f", {small_runs} of {small_size:,})" if small_runs else ")"),
            "",
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; filled in {filled:.0f} s; the stored "
            f"summary of the run of {samples:,} written in {summaries[0] * 1000:.0f} ms"
            + (
                f", of a run of {small_size:,} in "
                f"{statistics.median(summaries[1:]) * 1000:.1f} ms (median)"
                if small_runs
                else ""
            )
            + f"; {calls} calls each; a page is 50 samples.",
            "",
            "| query | p50 ms | p95 ms | database ms |",
            "|---|---|---|---|",
        ]
        plans: list[str] = []
        for what, call in queries(big, small, (sizes[0], sizes[-1])):
            times = await timed(ledger, call, calls)
            p50 = statistics.median(times)
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            plan = await plans_of(ledger, backend, call)
            lines.append(f"| {what} | {p50:.1f} | {p95:.1f} | {_execution_ms(plan)} |")
            print(lines[-1], flush=True)
            plans += [f"### {backend.name}: {what}", ""]
            for text in plan:
                plans += ["```text", text, "```", ""]
        return [*lines, "", *plans]
    finally:
        await ledger.close()
        await backend.drop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000, help="0: skip PostgreSQL")
    parser.add_argument("--small-runs", type=int, default=100)
    parser.add_argument("--small-size", type=int, default=10_000, help="samples per small run")
    parser.add_argument("--sqlite-samples", type=int, default=200_000, help="0: skip SQLite")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--out", default=None, help=f"default {OUT.name}")
    args = parser.parse_args()
    out = [
        "# Reading runs at scale",
        "",
        f"`python -m bench.runs_at_scale --samples {args.samples} --small-runs "
        f"{args.small_runs} --small-size {args.small_size} "
        f"--sqlite-samples {args.sqlite_samples} --calls {args.calls}`",
        "",
    ]
    if args.samples:
        out += await bench(Postgres(), args.samples, args.small_runs, args.small_size, args.calls)
    if args.sqlite_samples:
        out += await bench(
            Sqlite(), args.sqlite_samples, args.small_runs, args.small_size, args.calls
        )
    out_file = Path(args.out) if args.out else OUT
    out_file.write_text("\n".join(out), encoding="utf-8")
    print(f"wrote {out_file}")


if __name__ == "__main__":
    asyncio.run(main())
