"""The competitions group's operations under ``/api/v1``: multi-agent events and their
statistics, the Olympus treaty and collaborative tests (the leaderboard is a hook:
``facade.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

from annotated_types import MaxLen
from pydantic import Field

from evalledger.agents.schemas import CustodyTestRecorded
from evalledger.competitions.schemas import (
    AgentName,
    CollaborativeTestIn,
    CollaborativeTestRecorded,
    EventIn,
    EventOut,
    EventRecorded,
    EventStats,
    OlympusTreatyIn,
)
from evalledger.operations import (
    AnyId,
    Cursor,
    IdempotencyKey,
    In,
    OperationGroup,
    PageLimit,
    WireName,
    as_model,
    as_uuid,
    get,
    post,
)
from evalledger.pagination import Page
from evalledger.schema.types import AwareIsoDatetime

if TYPE_CHECKING:
    from evalledger.competitions.service import CompetitionsService

#: ``?type=``: the events' type (the name the REST API has always used).
EventType = Annotated[str | None, MaxLen(50), WireName("type"), Field(description="event_type")]
Start = Annotated[AwareIsoDatetime | None, Field(description="created at or after (ISO 8601)")]
End = Annotated[AwareIsoDatetime | None, Field(description="created at or before (ISO 8601)")]


def _carries_id(name: str) -> Callable[[Mapping[str, Any]], bool]:
    """Retry-safe when the body named ``name`` carries a client-chosen ``id``."""
    return lambda arguments: arguments[name].id is not None


def _every_participant_has_an_id(arguments: Mapping[str, Any]) -> bool:
    ids = [p.id for p in arguments["test"].participants]
    return bool(ids) and all(i is not None for i in ids)


class CompetitionsOperations(
    OperationGroup,
    prefix="/api/v1",
    tag="competitions",
    service="evalledger.competitions.service:CompetitionsService",
):
    @post("/events", summary="Record a multi-agent event", retry_safe=_carries_id("event"))
    async def record_event(svc: CompetitionsService, event: In[EventIn]) -> EventRecorded:
        """Stores the event and, in the same transaction, applies each participant's XP
        (`xp_awarded` minus `penalties`, never below 0), `learning_awarded` and one
        `adversarial_wins` per winner. Participants must exist and appear once; winners and
        the keys of every per-agent dict must be participants (else 422 naming the
        offender). Send an `id` to make retries safe: the same id is applied once."""
        return await svc.record_event(as_model(EventIn, event))

    @get("/events", summary="List events, newest first")
    async def list_events(
        svc: CompetitionsService,
        *,
        event_type: EventType = None,
        participant: Annotated[
            str | None, MaxLen(50), Field(description="only events this agent took part in")
        ] = None,
        start: Start = None,
        end: End = None,
        limit: PageLimit = None,
        cursor: Cursor = None,
    ) -> Page[EventOut]:
        """Newest first; pass the page's ``next_cursor`` back as ``cursor`` for the next."""
        return await svc.list_events(
            event_type=event_type,
            participant=participant,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        )

    @get("/events/stats", summary="Event statistics")
    async def event_stats(
        svc: CompetitionsService,
        *,
        event_type: EventType = None,
        start: Start = None,
        end: End = None,
    ) -> EventStats:
        """Events per type, and per agent: events, wins, average score, XP, penalties."""
        return await svc.event_stats(event_type=event_type, start=start, end=end)

    @get("/events/{event_id}", summary="One event")
    async def get_event(svc: CompetitionsService, event_id: AnyId) -> EventOut:
        """The event with this id, as recorded."""
        return await svc.get_event(as_uuid(event_id))

    @post(
        "/collaborative-tests",
        summary="Record a test taken by several agents together",
        retry_safe=_every_participant_has_an_id,
    )
    async def record_collaborative_test(
        svc: CompetitionsService,
        test: In[CollaborativeTestIn],
        *,
        idempotency_key: IdempotencyKey = None,
    ) -> CollaborativeTestRecorded:
        """Each participant gets its own result row (`test_type` collaborative) carrying the
        shared `ai_responses`; every participant's counters move as for a custody test; all
        in one transaction. Retry-safe with per-participant `id`s or an Idempotency-Key."""
        return await svc.record_collaborative_test(
            as_model(CollaborativeTestIn, test), idempotency_key=idempotency_key
        )

    @post(
        "/olympus-treaty/{agent_type}",
        summary="Record an Olympus treaty result",
        retry_safe=_carries_id("result"),
    )
    async def administer_olympus_treaty(
        svc: CompetitionsService, agent_type: AgentName, result: In[OlympusTreatyIn]
    ) -> CustodyTestRecorded:
        """Recorded like a custody test with `test_type` olympus, keeping threshold, scenario,
        ai_response and evaluation; `passed` defaults to `score >= threshold`."""
        return await svc.administer_olympus_treaty(agent_type, as_model(OlympusTreatyIn, result))
