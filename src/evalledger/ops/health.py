"""Health facts, shared by ``GET /health`` and ``evalledger health``.

Each fact is measured, not asserted: a round trip with its latency, the schema revision
against the head, the pool's use, table sizes, stale service heartbeats, and (``diagnose``)
the database's own view of itself.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger._version import __version__
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow
from evalledger.monitoring import pool_status
from evalledger.redact import redact


class TableSize(BaseModel):
    table: str
    rows: int
    bytes: int | None = None


class HealthReport(BaseModel):
    status: str = Field(description="healthy or unhealthy")
    version: str
    database: str = Field(description="connected or unreachable")
    backend: str
    latency_ms: float | None = None
    schema_revision: str | None = None
    head_revision: str
    migrations_current: bool = False
    pool: dict[str, int] = Field(default_factory=dict)
    tables: list[TableSize] = Field(default_factory=list)
    stale_services: list[dict[str, Any]] = Field(default_factory=list)
    diagnostics: dict[str, Any] | None = None
    problems: list[str] = Field(default_factory=list)
    error: str | None = None


async def collect(
    db: Database,
    *,
    include_tables: bool = True,
    diagnose: bool = False,
    stale_after: timedelta = timedelta(minutes=5),
) -> HealthReport:
    report = HealthReport(
        status="unhealthy",
        version=__version__,
        database="unreachable",
        backend=db.dialect_name,
        head_revision=migrate.head_revision(),
    )
    try:
        started = time.perf_counter()
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            report.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            report.database = "connected"
            report.pool = pool_status(db.engine)
            if include_tables:
                report.tables = await _table_sizes(conn, db)
            report.stale_services = await _stale_services(conn, stale_after)
            if diagnose:
                report.diagnostics = await (
                    _diagnose_postgres(conn) if db.is_postgres else _diagnose_sqlite(conn)
                )
        report.schema_revision = await migrate.current_revision(db)
        report.migrations_current = report.schema_revision == report.head_revision
    except Exception as exc:  # health must answer, whatever broke
        report.error = redact(f"{type(exc).__name__}: {str(exc)[:200]}")
        report.problems.append("database unreachable")
        return report
    if not report.migrations_current:
        report.problems.append(
            f"schema at {report.schema_revision or 'none'}, head is {report.head_revision}: "
            "run `evalledger db upgrade`"
        )
    if report.stale_services:
        report.problems.append(f"{len(report.stale_services)} stale service heartbeat(s)")
    if report.diagnostics:
        report.problems.extend(report.diagnostics.get("problems", []))
    report.status = "healthy" if not report.problems else "unhealthy"
    return report


async def _table_sizes(conn: AsyncConnection, db: Database) -> list[TableSize]:
    sizes = []
    for table in metadata.sorted_tables:
        rows = (await conn.execute(select(func.count()).select_from(table))).scalar_one()
        nbytes = None
        if db.is_postgres:
            nbytes = (
                await conn.execute(
                    text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table.name}
                )
            ).scalar_one()
        sizes.append(TableSize(table=table.name, rows=int(rows), bytes=nbytes))
    return sizes


async def _stale_services(conn: AsyncConnection, stale_after: timedelta) -> list[dict[str, Any]]:
    table = metadata.tables.get("service_health")
    if table is None:
        return []
    cutoff = utcnow() - stale_after
    rows = await conn.execute(
        select(table.c.service_name, table.c.instance_id, table.c.last_heartbeat).where(
            table.c.last_heartbeat < cutoff
        )
    )
    return [
        {"service_name": r[0], "instance_id": r[1], "last_heartbeat": r[2].isoformat()}
        for r in rows
    ]


async def _diagnose_postgres(conn: AsyncConnection) -> dict[str, Any]:
    async def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in (await conn.execute(text(sql))).mappings()]

    long_running = await rows(
        "SELECT pid, state, now() - query_start AS running_for, left(query, 200) AS query "
        "FROM pg_stat_activity WHERE datname = current_database() AND state <> 'idle' "
        "AND pid <> pg_backend_pid() AND now() - query_start > interval '30 seconds' "
        "ORDER BY query_start"
    )
    lock_waits = await rows(
        "SELECT a.pid, a.wait_event_type, a.wait_event, left(a.query, 200) AS query, "
        "pg_blocking_pids(a.pid) AS blocked_by FROM pg_stat_activity a "
        "WHERE a.datname = current_database() AND cardinality(pg_blocking_pids(a.pid)) > 0"
    )
    bloat = await rows(
        "SELECT relname AS table, n_live_tup AS live, n_dead_tup AS dead, "
        "round(n_dead_tup::numeric / greatest(n_live_tup + n_dead_tup, 1), 3) AS dead_ratio, "
        "last_autovacuum FROM pg_stat_user_tables ORDER BY n_dead_tup DESC LIMIT 20"
    )
    index_use = await rows(
        "SELECT relname AS table, indexrelname AS index, idx_scan AS scans "
        "FROM pg_stat_user_indexes ORDER BY idx_scan ASC, relname LIMIT 50"
    )
    for item in long_running:
        item["running_for"] = str(item["running_for"])
    for item in bloat:
        item["dead_ratio"] = float(item["dead_ratio"])
        item["last_autovacuum"] = (
            item["last_autovacuum"].isoformat() if item["last_autovacuum"] else None
        )
    problems = []
    if long_running:
        problems.append(f"{len(long_running)} query(ies) running for over 30 s")
    if lock_waits:
        problems.append(f"{len(lock_waits)} session(s) waiting on locks")
    heavy = [b for b in bloat if b["dead"] > 10_000 and b["dead_ratio"] > 0.2]
    if heavy:
        problems.append(f"dead-tuple bloat over 20% in: {', '.join(b['table'] for b in heavy)}")
    return {
        "long_running_queries": long_running,
        "lock_waits": lock_waits,
        "dead_tuples": bloat,
        "index_usage": index_use,
        "problems": problems,
    }


async def _diagnose_sqlite(conn: AsyncConnection) -> dict[str, Any]:
    integrity = [r[0] for r in (await conn.execute(text("PRAGMA integrity_check"))).all()]
    fk_violations = [
        {"table": r[0], "rowid": r[1], "parent": r[2]}
        for r in (await conn.execute(text("PRAGMA foreign_key_check"))).all()
    ]
    journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
    problems = []
    if integrity != ["ok"]:
        problems.append(f"integrity_check: {'; '.join(integrity[:5])}")
    if fk_violations:
        problems.append(f"{len(fk_violations)} foreign key violation(s)")
    return {
        "integrity_check": integrity,
        "foreign_key_check": fk_violations[:100],
        "journal_mode": journal,
        "problems": problems,
    }
