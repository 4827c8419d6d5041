"""One event (``/events/{id}``) and one claim (``/verification/{claim}``) as pages.

The list pages link here; an id that does not exist (or is another project's) is the
dashboard's HTML not-found page, never the API's JSON 404.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from evalledger.errors import NotFoundError
from evalledger.sdk.ledger import Ledger
from evalledger.verification.schemas import ConsensusOut
from evalledger.web.pages import LenientRoute, render, session, sign_in_redirect

router = APIRouter(include_in_schema=False, route_class=LenientRoute)


def page_uuid(value: str) -> uuid.UUID:
    """An id from a URL; anything else is "not found" (the page shows the HTML 404)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFoundError(f"{value[:80]!r} is not an id") from None


def pretty(value: Any) -> str:
    """JSON for a ``<pre>`` block (the template escapes it)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


async def consensus_or_none(ledger: Ledger, claim_id: str) -> ConsensusOut | None:
    try:
        return await ledger.get_consensus(claim_id)
    except NotFoundError:
        return None


@router.get("/events/{event_id}", response_class=HTMLResponse)
async def event_page(request: Request, event_id: str) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    event = await current.ledger.get_event(page_uuid(event_id))
    scores = sorted((event.scores or {}).items(), key=lambda kv: -kv[1])
    return render(
        request,
        "event.html",
        title=f"Event {event.event_type}",
        session=current,
        ev=event,
        scores=scores,
        pretty=pretty,
    )


@router.get("/verification/{claim_id}", response_class=HTMLResponse)
async def claim_page(request: Request, claim_id: str) -> Response:
    current = await session(request)
    if current is None:
        return sign_in_redirect(request)
    ledger = current.ledger
    claim = await ledger.get_claim(claim_id)
    verifications = await ledger.get_by_claim_id(claim.external_id)
    return render(
        request,
        "claim.html",
        title=f"Claim {claim.external_id}",
        session=current,
        claim=claim,
        consensus=await consensus_or_none(ledger, claim.external_id),
        verifications=verifications,
        pretty=pretty,
    )
