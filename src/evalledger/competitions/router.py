"""REST routes of the competitions domain under ``/api/v1``. Thin: parse, call, return."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from evalledger.agents.schemas import CustodyTestRecorded
from evalledger.api.deps import IdempotencyKey, Reader, Writer
from evalledger.api.types import AwareIsoDatetime
from evalledger.competitions.schemas import (
    MAX_BOOTSTRAP_ROUNDS,
    CollaborativeTestIn,
    CollaborativeTestRecorded,
    EventIn,
    EventOut,
    EventRecorded,
    EventStats,
    Leaderboard,
    OlympusTreatyIn,
    RatingMethod,
)
from evalledger.db.repository import Page

router = APIRouter(prefix="/api/v1", tags=["competitions"])

AgentTypePath = Path(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.:-]+$")
TypeQuery = Annotated[str | None, Query(alias="type", max_length=50, description="event_type")]
Start = Annotated[AwareIsoDatetime | None, Query(description="created at or after (ISO 8601)")]
End = Annotated[AwareIsoDatetime | None, Query(description="created at or before (ISO 8601)")]


@router.post(
    "/events",
    response_model=EventRecorded,
    summary="Record a multi-agent event",
    description=(
        "Stores the event and, in the same transaction, applies each participant's XP "
        "(`xp_awarded` minus `penalties`, never below 0), `learning_awarded` and one "
        "`adversarial_wins` per winner. Participants must exist and appear once; winners and "
        "the keys of every per-agent dict must be participants (else 422 naming the "
        "offender). Send an `id` to make retries safe: the same id is applied once."
    ),
)
async def record_event(body: EventIn, ledger: Writer) -> EventRecorded:
    return await ledger.record_event(body)


@router.get("/events", response_model=Page[EventOut], summary="List events, newest first")
async def list_events(
    ledger: Reader,
    event_type: TypeQuery = None,
    participant: Annotated[
        str | None, Query(max_length=50, description="only events this agent took part in")
    ] = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[EventOut]:
    return await ledger.list_events(
        event_type=event_type,
        participant=participant,
        start=start,
        end=end,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/events/stats",
    response_model=EventStats,
    summary="Event statistics",
    description="Events per type, and per agent: events, wins, average score, XP, penalties.",
)
async def event_stats(
    ledger: Reader, event_type: TypeQuery = None, start: Start = None, end: End = None
) -> EventStats:
    return await ledger.event_stats(event_type=event_type, start=start, end=end)


@router.get("/events/{event_id}", response_model=EventOut, summary="One event")
async def get_event(event_id: uuid.UUID, ledger: Reader) -> EventOut:
    return await ledger.get_event(event_id)


@router.post(
    "/collaborative-tests",
    response_model=CollaborativeTestRecorded,
    summary="Record a test taken by several agents together",
    description=(
        "Each participant gets its own result row (`test_type` collaborative) carrying the "
        "shared `ai_responses`; every participant's counters move as for a custody test; all "
        "in one transaction. Retry-safe with per-participant `id`s or an Idempotency-Key."
    ),
)
async def record_collaborative_test(
    body: CollaborativeTestIn, ledger: Writer, key: IdempotencyKey = None
) -> CollaborativeTestRecorded:
    return await ledger.record_collaborative_test(body, idempotency_key=key)


@router.post(
    "/olympus-treaty/{agent_type}",
    response_model=CustodyTestRecorded,
    summary="Record an Olympus treaty result",
    description=(
        "Recorded like a custody test with `test_type` olympus, keeping threshold, scenario, "
        "ai_response and evaluation; `passed` defaults to `score >= threshold`."
    ),
)
async def olympus_treaty(
    body: OlympusTreatyIn, ledger: Writer, agent_type: str = AgentTypePath
) -> CustodyTestRecorded:
    return await ledger.administer_olympus_treaty(agent_type, body)


@router.get(
    "/leaderboard",
    response_model=Leaderboard,
    summary="Agents ranked by Elo, Bradley-Terry or XP",
    description=(
        "`elo` and `bradley_terry` rate agents from the events' per-agent scores (each event "
        "yields pairwise outcomes; ties count half) with percentile-bootstrap 95% intervals "
        "over resampled events (seeded, so reproducible). `xp` ranks by XP. What is computed "
        "from the events is reused until an event is recorded: the first request after one "
        "pays for the fit (seconds for thousands of events), the next ones take milliseconds."
    ),
)
async def leaderboard(
    ledger: Reader,
    method: RatingMethod = "elo",
    rounds: Annotated[
        int | None, Query(ge=1, le=MAX_BOOTSTRAP_ROUNDS, description="bootstrap rounds")
    ] = None,
    seed: Annotated[int, Query(ge=0, le=2**32)] = 0,
    event_type: TypeQuery = None,
) -> Leaderboard:
    return await ledger.leaderboard(method, rounds=rounds, seed=seed, event_type=event_type)
