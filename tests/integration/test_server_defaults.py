"""Rows inserted by plain SQL, as the original systems' scripts do, are complete and readable.

The LVL_UP agent-metrics scripts insert ``(agent_id, agent_type)`` only; the BrahminyKite
persistence layer inserts claims as ``(external_id, content)``. Every other column comes from
the server's defaults (migration 0006), in the format the application itself writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import inspect, text

from evalledger.db.base import DEFAULT_PROJECT_ID
from evalledger.db.registry import metadata
from evalledger.sdk.ledger import Ledger


async def _raw(ledger: Ledger, sql: str) -> None:
    """Plain SQL on the database owner's connection, outside every evalledger layer."""
    async with ledger.db.engine.begin() as conn:
        await conn.execute(text(sql))


def _recent(stamp: str) -> bool:
    moment = datetime.fromisoformat(stamp)
    return moment.tzinfo is not None and abs(datetime.now(UTC) - moment) < timedelta(minutes=5)


async def test_lvl_up_agent_inserted_by_sql_reads_back_through_the_api(
    seeded: Ledger, api: httpx.AsyncClient
) -> None:
    await _raw(seeded, "INSERT INTO agent_metrics (agent_id, agent_type) VALUES ('lvl-7', 'scout')")
    response = await api.get("/api/agent-metrics/scout")
    assert response.status_code == 200, response.text
    metrics = response.json()["metrics"]
    assert metrics["agent_id"] == "lvl-7"
    assert uuid.UUID(metrics["id"]).version == 4
    assert metrics["xp"] == 0 and metrics["level"] == 1 and metrics["learning_score"] == 0.0
    assert metrics["current_difficulty"] == "basic" and metrics["status"] == "idle"
    assert metrics["is_active"] is True and metrics["learning_patterns"] == []
    assert _recent(metrics["created_at"]) and metrics["updated_at"] == metrics["created_at"]
    # The agent is a normal agent afterwards: the application can update it.
    put = await api.put("/api/agent-metrics/scout", json={"priority": "high"})
    assert put.status_code == 200, put.text
    after = (await api.get("/api/agent-metrics/scout")).json()["metrics"]
    assert after["priority"] == "high" and after["updated_at"] > metrics["updated_at"]


async def test_brahminykite_claim_inserted_by_sql_reads_back_through_the_api(
    seeded: Ledger, api: httpx.AsyncClient
) -> None:
    await _raw(
        seeded,
        "INSERT INTO claims (external_id, content) VALUES ('bk-1', 'Water boils at 100 C')",
    )
    listed = await api.get("/api/v1/claims")
    assert listed.status_code == 200, listed.text
    (claim,) = [c for c in listed.json()["items"] if c["external_id"] == "bk-1"]
    assert claim["content"] == "Water boils at 100 C"
    assert uuid.UUID(claim["id"]).version == 4 and _recent(claim["created_at"])
    one = await api.get("/api/v1/claims/bk-1")
    assert one.status_code == 200 and one.json()["id"] == claim["id"]
    # Newest first: a claim recorded by the application afterwards sorts before it.
    made = await api.post("/api/v1/claims", json={"external_id": "bk-2", "content": "later"})
    assert made.status_code == 201, made.text
    order = [c["external_id"] for c in (await api.get("/api/v1/claims")).json()["items"]]
    assert order.index("bk-2") < order.index("bk-1")


async def test_plain_sql_rows_land_in_the_default_project(seeded: Ledger) -> None:
    await _raw(seeded, "INSERT INTO claims (external_id, content) VALUES ('bk-3', 'x')")
    async with seeded.db.engine.connect() as conn:
        project = (
            await conn.execute(
                metadata.tables["claims"].select().where(text("external_id = 'bk-3'"))
            )
        ).one()
    assert project.project_id == DEFAULT_PROJECT_ID


async def test_every_column_with_a_python_default_has_one_on_the_server(ledger: Ledger) -> None:
    def missing(conn):  # type: ignore[no-untyped-def]
        inspector = inspect(conn)
        out = []
        for table in metadata.sorted_tables:
            reflected = {c["name"]: c.get("default") for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.default is not None and reflected[column.name] is None:
                    out.append(f"{table.name}.{column.name}")
        return out

    async with ledger.db.engine.connect() as conn:
        assert await conn.run_sync(missing) == []


async def test_mass_rows_inserted_by_sql_are_in_the_cached_read(
    seeded: Ledger, api: httpx.AsyncClient
) -> None:
    """A student, an assessment and its evidence written by plain SQL: the server's
    timestamps fall inside the cache window like the application's own."""
    await _raw(seeded, "INSERT INTO students (name) VALUES ('Raw')")
    await _raw(
        seeded,
        "INSERT INTO skill_assessments (student_id, skill_type, score, confidence) "
        "SELECT id, 'empathy', 0.5, 0.6 FROM students WHERE name = 'Raw'",
    )
    await _raw(
        seeded,
        "INSERT INTO evidence (assessment_id, evidence_type, source, content, relevance_score) "
        "SELECT id, 'linguistic', 'transcript', 'a quote', 0.9 FROM skill_assessments",
    )
    (student,) = (await api.get("/api/v1/students")).json()["items"]
    assert student["metadata"] == {}
    cached = await api.get(f"/api/v1/assessments/{student['id']}", params={"use_cached": "true"})
    assert cached.status_code == 200, cached.text
    (assessment,) = cached.json()["assessments"]
    assert assessment["skill_type"] == "empathy" and _recent(assessment["created_at"])
    assert [e["content"] for e in assessment["evidence"]] == ["a quote"]
