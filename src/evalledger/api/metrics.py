"""``GET /metrics``: Prometheus exposition, for ``admin`` keys only.

The figures are server-wide (request counts by route, statements, pools, caches across every
project), so a ``read`` or ``write`` key of one project gets 403 and no key gets 401; under
``serve --no-auth`` (loopback only) the caller acts as admin, as on every other route.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from evalledger.monitoring import render
from evalledger.operations.deps import Admin

router = APIRouter(tags=["monitoring"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (admin keys)",
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(_: Admin) -> Response:
    body, content_type = render()
    return Response(body, media_type=content_type)
