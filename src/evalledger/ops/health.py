"""Health facts, shared by ``GET /health``, the dashboard and ``evalledger health``.

Each fact is measured, not asserted: a round trip with its latency, the schema revision
against the head, the pool's use, table sizes and (``diagnose``) the database's own view of
itself. These describe *this server* and nothing else: no tenant's rows decide whether the
server is healthy, and none are shown to whoever asks ``/health``.

A project's own service heartbeats are a different question, answered only to that project:
:func:`add_project_warnings` adds its stale instances as warnings (never problems: a worker
that stopped beating does not make the database unreachable).

The reachability check runs under a deadline (``EVALLEDGER_HEALTH_TIMEOUT``, about a second):
a database that does not answer in time is reported unreachable instead of holding the
caller for as long as the database stays frozen.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from evalledger._version import __version__
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.monitoring import pool_status
from evalledger.redact import redact
from evalledger.tenancy.models import Project
from evalledger.uow import UnitOfWork

if TYPE_CHECKING:
    from evalledger.sdk.ledger import Ledger

#: A heartbeat older than this is a stale service (``evalledger health --stale-minutes``).
DEFAULT_STALE_AFTER = timedelta(minutes=5)


class TableSize(BaseModel):
    table: str
    rows: int
    bytes: int | None = None


class StaleService(BaseModel):
    service_name: str
    instance_id: str
    status: str
    last_heartbeat: datetime


class HealthReport(BaseModel):
    status: str = Field(description="healthy or unhealthy (this server and its database only)")
    version: str
    database: str = Field(description="connected or unreachable")
    backend: str
    latency_ms: float | None = None
    schema_revision: str | None = None
    head_revision: str
    migrations_current: bool = False
    pool: dict[str, int] = Field(default_factory=dict)
    tables: list[TableSize] = Field(default_factory=list)
    diagnostics: dict[str, Any] | None = None
    problems: list[str] = Field(default_factory=list)
    error: str | None = None
    project: str | None = Field(
        None, description="the project whose warnings follow (authenticated reports only)"
    )
    stale_services: list[StaleService] = Field(
        default_factory=list, description="the project's instances that stopped beating"
    )
    warnings: list[str] = Field(
        default_factory=list, description="the project's own concerns; never change status"
    )


async def collect(
    db: Database,
    *,
    include_tables: bool = True,
    diagnose: bool = False,
    check_within: float | None = None,
) -> HealthReport:
    """The server's health. ``check_within`` (seconds) bounds the reachability check.

    Table sizes and diagnostics (operators' views, which can take long on a large
    database) run after the bounded check, and only when it succeeded.
    """
    report = HealthReport(
        status="unhealthy",
        version=__version__,
        database="unreachable",
        backend=db.dialect_name,
        head_revision=migrate.head_revision(),
    )
    try:
        async with asyncio.timeout(check_within):
            await _check_reachable(db, report)
        if include_tables or diagnose:
            async with db.engine.connect() as conn:
                if include_tables:
                    report.tables = await _table_sizes(conn, db)
                if diagnose:
                    report.diagnostics = await (
                        _diagnose_postgres(conn) if db.is_postgres else _diagnose_sqlite(conn)
                    )
    except TimeoutError:
        report.database = "unreachable"
        report.error = f"the database did not answer within {check_within:g} s"
        report.problems.append("database unreachable")
        return report
    except Exception as exc:  # health must answer, whatever broke
        report.error = redact(f"{type(exc).__name__}: {str(exc)[:200]}")
        report.problems.append("database unreachable")
        return report
    if not report.migrations_current:
        report.problems.append(
            f"schema at {report.schema_revision or 'none'}, head is {report.head_revision}: "
            "run `evalledger db upgrade`"
        )
    if report.diagnostics:
        report.problems.extend(report.diagnostics.get("problems", []))
    report.status = "healthy" if not report.problems else "unhealthy"
    return report


async def _check_reachable(db: Database, report: HealthReport) -> None:
    started = time.perf_counter()
    async with db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        report.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        report.database = "connected"
        report.pool = pool_status(db.engine)
    report.schema_revision = await migrate.current_revision(db)
    report.migrations_current = report.schema_revision == report.head_revision


async def add_project_warnings(
    report: HealthReport, ledger: Ledger, *, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> HealthReport:
    """Add the acting project's stale service heartbeats to ``report`` as warnings.

    ``ledger`` acts for one project, so the query sees that project's rows only (and, on
    PostgreSQL with row security, the database enforces it too). Skipped when the database
    is already known to be unreachable.
    """
    if report.database != "connected":
        return report
    async with UnitOfWork(ledger.db, write=False, primary=True, tenant_scoped=False) as uow:
        project_id = ledger.actor.project_id
        name = (
            await uow.session.execute(select(Project.name).where(Project.id == project_id))
        ).scalar_one_or_none()
    report.project = name
    stale = await ledger.stale_instances(stale_after.total_seconds())
    report.stale_services = [
        StaleService(
            service_name=s.service_name,
            instance_id=s.instance_id,
            status=s.status,
            last_heartbeat=s.last_heartbeat,
        )
        for s in stale
    ]
    minutes = stale_after.total_seconds() / 60
    report.warnings = [
        f"service {s.service_name}/{s.instance_id} has not sent a heartbeat for over "
        f"{minutes:g} min (last {s.last_heartbeat.isoformat(timespec='seconds')})"
        for s in report.stale_services
    ]
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
