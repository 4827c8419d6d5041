"""``GET /metrics``: Prometheus exposition (needs a key of any scope, like every data route)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from evalledger.api.deps import Reader
from evalledger.monitoring import render

router = APIRouter(tags=["monitoring"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(ledger: Reader) -> Response:
    body, content_type = render(ledger.db.engine)
    return Response(body, media_type=content_type)
