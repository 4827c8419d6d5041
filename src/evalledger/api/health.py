"""Health routes.

``GET /health`` (no key) describes this server only: the database answers within
``EVALLEDGER_HEALTH_TIMEOUT``, the schema is current, the pool's use. No tenant's rows are read
or shown, so no project can make it fail or learn another's service names from it. 503 with
``Retry-After`` when unhealthy, for load balancers and orchestrators.

``GET /api/v1/health`` (any key) adds the caller's own project's warnings: its service
instances whose heartbeat is stale. Warnings never change the status code.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query, Request, Response

from evalledger.operations.deps import Reader
from evalledger.ops.health import DEFAULT_STALE_AFTER, HealthReport, add_project_warnings, collect

router = APIRouter(tags=["health"])

#: Seconds a client should wait before asking again after a 503.
RETRY_AFTER_SECONDS = "1"


async def _server_report(request: Request, response: Response) -> HealthReport:
    settings = request.app.state.settings
    # Table sizes are left out: /health is polled often and must stay cheap and anonymous.
    report = await collect(
        request.app.state.ledger.db, include_tables=False, check_within=settings.health_timeout
    )
    if report.status != "healthy":
        response.status_code = 503
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return report


@router.get(
    "/health",
    response_model=HealthReport,
    response_model_exclude={"project", "stale_services", "warnings"},
    responses={503: {"model": HealthReport, "description": "unhealthy"}},
    summary="This server's health (no key needed)",
)
async def health(request: Request, response: Response) -> HealthReport:
    return await _server_report(request, response)


@router.get(
    "/api/v1/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "unhealthy"}},
    summary="This server's health and your project's warnings (stale service heartbeats)",
)
async def project_health(
    request: Request,
    response: Response,
    ledger: Reader,
    stale_seconds: float = Query(
        DEFAULT_STALE_AFTER.total_seconds(),
        gt=0,
        le=10_000_000,
        description="a heartbeat older than this is a stale service",
    ),
) -> HealthReport:
    report = await _server_report(request, response)
    return await add_project_warnings(report, ledger, stale_after=timedelta(seconds=stale_seconds))
