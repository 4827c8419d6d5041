"""The persistence report (seed 000's ``ensure_db_persistence`` report, made to prove things).

Instead of printing "persistence verified", every line is a check against the live database:
each required table exists with each required column, each required index exists, with row
counts and recent activity per table. ``ok`` is true only when nothing is missing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection

from evalledger._version import __version__
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.db.registry import metadata
from evalledger.db.types import utcnow

#: Index names the seed documents promise, checked by name in addition to the model's own.
SEED_INDEXES = {
    "custody_test_results": [
        "idx_custody_test_results_ai_type",
        "idx_custody_test_results_test_type",
    ],
    "olympic_events": ["idx_olympic_events_event_type", "idx_olympic_events_created_at"],
}


class TableReport(BaseModel):
    table: str
    exists: bool
    missing_columns: list[str] = Field(default_factory=list)
    missing_indexes: list[str] = Field(default_factory=list)
    rows: int | None = None
    rows_last_24h: int | None = None
    newest: str | None = None


class PersistenceReport(BaseModel):
    ok: bool
    generated_at: str
    tool_version: str
    backend: str
    schema_revision: str | None
    head_revision: str
    tables: list[TableReport]
    problems: list[str]


def _inspect(conn: Connection) -> dict[str, Any]:
    insp = inspect(conn)
    tables = set(insp.get_table_names())
    out: dict[str, Any] = {"tables": tables, "columns": {}, "indexes": {}}
    for name in tables:
        out["columns"][name] = {c["name"] for c in insp.get_columns(name)}
        names = {i["name"] for i in insp.get_indexes(name)}
        names |= {u["name"] for u in insp.get_unique_constraints(name) if u.get("name")}
        out["indexes"][name] = names
    return out


async def build(db: Database) -> PersistenceReport:
    now = utcnow()
    problems: list[str] = []
    reports: list[TableReport] = []
    async with db.engine.connect() as conn:
        live = await conn.run_sync(_inspect)
        for table in metadata.sorted_tables:
            rep = TableReport(table=table.name, exists=table.name in live["tables"])
            if not rep.exists:
                problems.append(f"table {table.name} is missing")
                reports.append(rep)
                continue
            rep.missing_columns = sorted(
                c.name for c in table.columns if c.name not in live["columns"][table.name]
            )
            wanted: set[str] = {str(i.name) for i in table.indexes if i.name}
            wanted |= set(SEED_INDEXES.get(table.name, []))
            rep.missing_indexes = sorted(str(n) for n in wanted - live["indexes"][table.name])
            rep.rows = int(
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            )
            if "created_at" in table.columns:
                created = table.c.created_at
                recent = select(func.count()).where(created >= now - timedelta(hours=24))
                rep.rows_last_24h = int((await conn.execute(recent)).scalar_one())
                newest = (await conn.execute(select(func.max(created)))).scalar_one()
                rep.newest = newest.isoformat() if newest is not None else None
            problems += [f"{table.name}.{c} column is missing" for c in rep.missing_columns]
            problems += [f"{table.name}: index {i} is missing" for i in rep.missing_indexes]
            reports.append(rep)
    revision = await migrate.current_revision(db)
    head = migrate.head_revision()
    if revision != head:
        problems.append(f"schema at {revision or 'none'}, head is {head}")
    return PersistenceReport(
        ok=not problems,
        generated_at=now.isoformat(),
        tool_version=__version__,
        backend=db.dialect_name,
        schema_revision=revision,
        head_revision=head,
        tables=reports,
        problems=problems,
    )
