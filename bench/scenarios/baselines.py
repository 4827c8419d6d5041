"""The reference points: raw asyncpg (the ceiling) and the seeds' ORM patterns (the floor).

The raw table mirrors ``custody_test_results`` column for column, with the JSON columns as
``text`` (asyncpg's COPY needs a binary codec for ``jsonb``), no indexes beyond the primary
key and no counters: it is what the hardware and PostgreSQL allow, not a usable ledger.

The fair peer of the batch path, COPY into a table with the same indexes, is measured beside
the batch itself (``bench/scenarios/batch.py``), interleaved with it; the plain table here is
for information: how much of the gap is the table's indexes.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.core import Context, Figure, Timer, rate_figure, run_concurrent, scenario
from bench.scenarios._common import BACKENDS, ensure_agents, open_ledger
from evalledger.agents.models import AgentMetrics, CustodyTestResult
from evalledger.db.base import DEFAULT_PROJECT_ID

RAW_TABLE = """
CREATE TABLE IF NOT EXISTS bench_raw_results (
    id uuid PRIMARY KEY, project_id uuid NOT NULL, ai_type varchar(50) NOT NULL,
    test_id varchar(100) NOT NULL, test_category varchar(50) NOT NULL,
    test_difficulty varchar(20) NOT NULL, test_type varchar(50) NOT NULL,
    passed boolean NOT NULL, score double precision NOT NULL, xp_awarded integer NOT NULL,
    learning_score_awarded double precision NOT NULL, duration double precision,
    tested_at timestamptz, agent_epoch integer NOT NULL, ai_responses text,
    explainability_data text, evaluation text, threshold double precision, scenario text,
    ai_response text, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL
)
"""
COLUMNS = [
    "id", "project_id", "ai_type", "test_id", "test_category", "test_difficulty", "test_type",
    "passed", "score", "xp_awarded", "learning_score_awarded", "duration", "tested_at",
    "agent_epoch", "ai_responses", "explainability_data", "evaluation", "threshold",
    "scenario", "ai_response", "created_at", "updated_at",
]  # fmt: skip


def raw_rows(total: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows = []
    for i in range(total):
        rid = uuid.UUID(int=rng.getrandbits(128), version=4)
        passed = rng.random() < 0.7
        rows.append(
            (rid, DEFAULT_PROJECT_ID, f"raw-{i % 100:03d}", str(rid), "reasoning", "basic",
             "single", passed, rng.uniform(0, 100), 10, 0.0, 1.0, now, 0, None, None, None,
             None, None, None, now, now)
        )  # fmt: skip
    return rows


async def _copy_rate(
    conn: asyncpg.Connection, table: str, rows: list[tuple], key: str, label: str, note: str
) -> Figure:
    """COPY ``rows`` into ``table`` 5,000 at a time; the rate as a figure."""
    with Timer() as t:
        for start in range(0, len(rows), 5000):
            await conn.copy_records_to_table(
                table, records=rows[start : start + 5000], columns=COLUMNS
            )
    return rate_figure(key, label, "postgresql", len(rows), t.elapsed, "rows/s", note=note)


@scenario("raw asyncpg COPY and executemany (ceiling)", order=5)
async def raw_asyncpg(ctx: Context) -> list[Figure]:
    total = ctx.n["batch"]
    conn = await asyncpg.connect(ctx.pg_dsn)
    try:
        await conn.execute(RAW_TABLE)
        figures = []
        await conn.execute("TRUNCATE bench_raw_results")
        figures.append(
            await _copy_rate(
                conn,
                "bench_raw_results",
                raw_rows(total, 1),
                "raw.copy.postgresql",
                "raw asyncpg copy_records_to_table, plain table (ceiling)",
                "5000 rows per COPY",
            )
        )
        rows = raw_rows(total, 2)
        placeholders = ", ".join(f"${i + 1}" for i in range(len(COLUMNS)))
        sql = f"INSERT INTO bench_raw_results ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        with Timer() as t:
            for start in range(0, total, 1000):
                async with conn.transaction():
                    await conn.executemany(sql, rows[start : start + 1000])
        figures.append(
            rate_figure(
                "raw.executemany.postgresql",
                "raw asyncpg executemany, batches of 1000",
                "postgresql",
                total,
                t.elapsed,
                "rows/s",
            )
        )
        await conn.execute("DROP TABLE bench_raw_results")
        return figures
    finally:
        await conn.close()


def _plain_engine(url: str):  # type: ignore[no-untyped-def]
    return create_async_engine(url, pool_size=20, max_overflow=10)


@scenario("seed pattern: ORM add + commit per result (floor)", order=30)
async def seed_orm(ctx: Context) -> list[Figure]:
    figures = []
    total = ctx.n["seed"]
    for backend in BACKENDS:
        ledger = await open_ledger(ctx.url(backend))
        await ensure_agents(ledger, ["seed-orm"])
        await ledger.close()
        engine = _plain_engine(ctx.url(backend))
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        rng = random.Random(3)
        try:
            with Timer() as t:
                for _ in range(total):
                    async with sessions() as session:
                        session.add(
                            CustodyTestResult(
                                project_id=DEFAULT_PROJECT_ID,
                                ai_type="seed-orm",
                                test_id=uuid.uuid4().hex,
                                test_category="reasoning",
                                test_difficulty="basic",
                                test_type="single",
                                passed=rng.random() < 0.7,
                                score=rng.uniform(0, 100),
                                xp_awarded=10,
                            )
                        )
                        await session.commit()
        finally:
            await engine.dispose()
        figures.append(
            rate_figure(
                f"seed.orm.{backend}",
                "seed pattern: ORM add + commit per result (no counters)",
                backend,
                total,
                t.elapsed,
                "rows/s",
            )
        )
    return figures


@scenario("seed read-modify-write vs SELECT ... FOR UPDATE", order=31)
async def seed_rmw(ctx: Context) -> list[Figure]:
    total = ctx.n["rmw"]
    ledger = await open_ledger(ctx.pg_url)
    await ensure_agents(ledger, ["seed-rmw", "seed-forupdate"])
    await ledger.close()
    engine = _plain_engine(ctx.pg_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    figures = []

    async def given(agent: str) -> int:
        async with sessions() as s:
            stmt = select(AgentMetrics.total_tests_given).where(
                AgentMetrics.project_id == DEFAULT_PROJECT_ID, AgentMetrics.agent_type == agent
            )
            return int((await s.execute(stmt)).scalar_one())

    try:
        for agent, lock in (("seed-rmw", False), ("seed-forupdate", True)):

            async def op(w: int, i: int, agent: str = agent, lock: bool = lock) -> None:
                async with sessions() as s:
                    stmt = select(AgentMetrics).where(
                        AgentMetrics.project_id == DEFAULT_PROJECT_ID,
                        AgentMetrics.agent_type == agent,
                    )
                    if lock:
                        stmt = stmt.with_for_update()
                    row = (await s.execute(stmt)).scalar_one()
                    row.total_tests_given += 1
                    row.total_tests_passed += 1
                    row.xp += 10
                    await s.commit()

            before = await given(agent)
            secs, lat = await run_concurrent(total, 16, op)
            lost = total - (await given(agent) - before)
            ctx.shared[f"lost.{agent}"] = lost
            figures.append(
                rate_figure(
                    "seed.forupdate.postgresql" if lock else "seed.rmw.postgresql",
                    "seed read-modify-write, 16 writers, 1 agent"
                    + (", made correct with SELECT ... FOR UPDATE" if lock else " (racy)"),
                    "postgresql",
                    total,
                    secs,
                    "updates/s",
                    lat,
                    note=f"lost updates: {lost} of {total}",
                )
            )
    finally:
        await engine.dispose()
    return figures
