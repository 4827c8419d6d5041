"""``GET /health``: the same facts as ``evalledger health``. No auth; 503 when unhealthy."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from evalledger.ops.health import HealthReport, collect

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "unhealthy"}},
)
async def health(request: Request, response: Response) -> HealthReport:
    # Table sizes are left out: /health is polled often and must stay cheap and anonymous.
    report = await collect(request.app.state.ledger.db, include_tables=False)
    if report.status != "healthy":
        response.status_code = 503
    return report
