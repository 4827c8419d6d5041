"""``GET /health``: is the database reachable, and is its schema current? No auth needed."""

from __future__ import annotations

import time
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text

from evalledger._version import __version__
from evalledger.db import migrate

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: Literal["healthy", "unhealthy"]
    version: str
    database: Literal["connected", "unreachable"]
    backend: str
    latency_ms: float | None = None
    schema_revision: str | None = None
    head_revision: str
    migrations_current: bool
    error: str | None = None


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "unhealthy"}},
)
async def health(request: Request, response: Response) -> HealthOut:
    db = request.app.state.ledger.db
    head = migrate.head_revision()
    out = HealthOut(
        status="unhealthy",
        version=__version__,
        database="unreachable",
        backend=db.dialect_name,
        head_revision=head,
        migrations_current=False,
    )
    try:
        started = time.perf_counter()
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        out.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        out.database = "connected"
        out.schema_revision = await migrate.current_revision(db)
        out.migrations_current = out.schema_revision == head
        if out.migrations_current:
            out.status = "healthy"
        else:
            out.error = "schema out of date: run `evalledger db upgrade`"
    except Exception as exc:  # health must answer, whatever broke
        out.error = type(exc).__name__
    if out.status != "healthy":
        response.status_code = 503
    return out
