"""The competitions service: events, the Olympus treaty, collaborative tests, statistics.

Functions take an open :class:`UnitOfWork` and never commit. Every write that moves agents'
counters locks the agents involved first, in sorted order (``AgentRepository.lock_many``), so
concurrent events over overlapping participants serialise per agent and never deadlock.

**What an event does to a participant** (all in the event's transaction):

* ``xp`` grows by ``xp_awarded[agent]`` and shrinks by ``penalties[agent]``, never below 0;
  the net change is stored as the participant row's ``xp_delta``. ``level`` and ``prestige``
  are recomputed from the new ``xp``. ``custody_xp`` is not touched (it counts custody tests).
* ``learning_score`` grows by ``learning_awarded[agent]``.
* ``adversarial_wins`` grows by one for each winner.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select

from evalledger.agents import progression
from evalledger.agents.repository import AgentRepository, agents
from evalledger.agents.schemas import CustodyTestIn, CustodyTestRecorded
from evalledger.agents.service import AgentMetricsService
from evalledger.competitions.repository import EventRepository
from evalledger.competitions.schemas import (
    AgentEventStats,
    CollaborativeTestIn,
    CollaborativeTestRecorded,
    EventIn,
    EventOut,
    EventRecorded,
    EventStats,
    EventTypeCount,
    OlympusTreatyIn,
    ParticipantApplied,
    RatingMethod,
)
from evalledger.config import Settings
from evalledger.db.idempotency import run_idempotent
from evalledger.db.repository import Page, Range
from evalledger.db.types import utcnow
from evalledger.errors import ConflictError, NotFoundError, ValidationFailed
from evalledger.uow import UnitOfWork

#: The per-agent dicts of an event; each may only name participants.
PER_AGENT_FIELDS = ("answers", "scores", "xp_awarded", "learning_awarded", "penalties")


def _duplicates(names: Iterable[str]) -> list[str]:
    return sorted(n for n, c in Counter(names).items() if c > 1)


def validate_event(data: EventIn) -> None:
    """The event's cross-field rules; :class:`ValidationFailed` names the field and agent."""
    dupes = _duplicates(data.participants)
    if dupes:
        raise ValidationFailed(
            f"participants: {', '.join(map(repr, dupes))} appear more than once",
            field="participants",
        )
    members = set(data.participants)
    dupes = _duplicates(data.winners)
    if dupes:
        raise ValidationFailed(
            f"winners: {', '.join(map(repr, dupes))} appear more than once", field="winners"
        )
    strangers = sorted(set(data.winners) - members)
    if strangers:
        raise ValidationFailed(
            f"winners: {', '.join(map(repr, strangers))} not among the participants",
            field="winners",
        )
    for name in PER_AGENT_FIELDS:
        values: Mapping[str, Any] | None = getattr(data, name)
        strangers = sorted(set(values or {}) - members)
        if strangers:
            raise ValidationFailed(
                f"{name}: {', '.join(map(repr, strangers))} not among the participants",
                field=name,
            )


def event_out(row: Any) -> EventOut:
    return EventOut.model_validate(
        {c: getattr(row, c) for c in EventOut.model_fields if c != "winners"}
        | {"winners": row.winners or []}
    )


class CompetitionsService:
    def __init__(
        self,
        uow: UnitOfWork,
        settings: Settings,
        rules: progression.ProgressionRules = progression.DEFAULT_RULES,
    ) -> None:
        self.uow = uow
        self.settings = settings
        self.rules = rules
        self.events = EventRepository(uow)
        self.agents = AgentRepository(uow)

    # -- events ------------------------------------------------------------------------

    async def _lock_participants(self, names: Sequence[str]) -> dict[str, RowMapping]:
        try:
            return await self.agents.lock_many(names)
        except NotFoundError as exc:
            missing = exc.field or "?"
            raise ValidationFailed(
                f"participants: {missing!r} is not an agent of this project",
                field="participants",
            ) from None

    async def record_event(self, data: EventIn) -> EventRecorded:
        """Store the event and apply it to every participant, atomically and exactly once."""
        validate_event(data)
        event_id = data.id or uuid.uuid4()
        if data.id is not None and await self._exists(event_id):
            return await self._replayed(event_id)
        locked = await self._lock_participants(data.participants)
        now = utcnow()
        values = data.model_dump(mode="json", exclude={"id"}) | {
            "id": event_id,
            "project_id": self.uow.project_id,
            "created_at": now,
            "updated_at": now,
        }
        if not await self.events.insert_event(values):  # a concurrent call with this id won
            return await self._replayed(event_id)

        winners = set(data.winners)
        rows: list[dict[str, Any]] = []
        applied: list[ParticipantApplied] = []
        for name in sorted(data.participants):
            agent = locked[name]
            xp = (data.xp_awarded or {}).get(name, 0)
            penalty = (data.penalties or {}).get(name, 0)
            learning = float((data.learning_awarded or {}).get(name, 0.0))
            new_xp = max(0, agent["xp"] + xp - penalty)
            level, prestige = progression.level_for_xp(new_xp, self.rules)
            won = name in winners
            update = {
                "xp": new_xp,
                "level": level,
                "prestige": prestige,
                "learning_score": agent["learning_score"] + learning,
                "adversarial_wins": agent["adversarial_wins"] + int(won),
            }
            await self.agents.set(name, update)
            score = (data.scores or {}).get(name)
            rows.append(
                {
                    "event_id": event_id,
                    "agent_type": name,
                    "project_id": self.uow.project_id,
                    "score": score,
                    "xp": xp,
                    "learning": learning,
                    "penalty": penalty,
                    "xp_delta": new_xp - agent["xp"],
                    "is_winner": won,
                    "agent_epoch": agent["epoch"],
                }
            )
            applied.append(
                ParticipantApplied(
                    agent_type=name,
                    xp_delta=new_xp - agent["xp"],
                    learning_delta=learning,
                    won=won,
                    **update,
                )
            )
        await self.events.insert_participants(rows)
        self.uow.audit(
            "olympic_event",
            event_id,
            "create",
            {
                "event_type": data.event_type,
                "participants": sorted(data.participants),
                "winners": sorted(winners),
                "xp_delta": {r["agent_type"]: r["xp_delta"] for r in rows},
            },
        )
        return EventRecorded(
            message=f"Event {data.event_type} recorded for {len(rows)} participant(s)",
            event=EventOut.model_validate(values),
            applied=applied,
        )

    async def _exists(self, event_id: uuid.UUID) -> bool:
        owner = await self.events.owner(event_id)
        if owner is None:
            return False
        if owner != self.uow.project_id:
            raise ConflictError(f"event id {event_id} is already used", field="id")
        return True

    async def _replayed(self, event_id: uuid.UUID) -> EventRecorded:
        await self._exists(event_id)  # 409 if a concurrent insert was another project's
        return EventRecorded(
            message="Event already recorded; nothing changed",
            duplicate=True,
            event=await self.get_event(event_id),
        )

    async def get_event(self, event_id: uuid.UUID) -> EventOut:
        row = await self.events.find(event_id)
        if row is None:
            raise NotFoundError(f"event {event_id} not found", field="id")
        return event_out(row)

    async def list_events(
        self,
        *,
        event_type: str | None = None,
        participant: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[EventOut]:
        size = min(limit or self.settings.default_page_size, self.settings.max_page_size)
        rows, next_cursor = await self.events.list(
            {"event_type": event_type, "participant": participant},
            {"created_at": Range(start, end)},
            limit=size,
            cursor=cursor,
        )
        return Page[EventOut](items=[event_out(r) for r in rows], next_cursor=next_cursor)

    async def event_stats(
        self,
        *,
        event_type: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> EventStats:
        by_type = await self.events.counts_by_type(event_type, start, end)
        per_agent = await self.events.agent_stats(event_type, start, end)
        return EventStats(
            total_events=sum(n for _, n in by_type),
            by_type=[EventTypeCount(event_type=t, events=n) for t, n in by_type],
            agents=[
                AgentEventStats(
                    agent_type=r["agent_type"],
                    events=int(r["events"]),
                    wins=int(r["wins"]),
                    average_score=None if r["average_score"] is None else float(r["average_score"]),
                    xp_awarded=int(r["xp_awarded"]),
                    penalties=int(r["penalties"]),
                    learning_awarded=float(r["learning_awarded"]),
                )
                for r in per_agent
            ],
        )

    # -- results through the agents' custody path --------------------------------------

    async def administer_olympus_treaty(
        self, agent_type: str, data: OlympusTreatyIn
    ) -> CustodyTestRecorded:
        """Record an Olympus treaty result exactly like a custody test (``test_type`` olympus)."""
        passed = data.passed if data.passed is not None else data.score >= data.threshold
        result = CustodyTestIn(
            **data.model_dump(exclude={"passed"}), passed=passed, test_type="olympus"
        )
        return await AgentMetricsService(
            self.uow, self.settings, self.rules
        ).update_custody_test_result(agent_type, result)

    async def record_collaborative_test(
        self, data: CollaborativeTestIn, *, idempotency_key: str | None = None
    ) -> CollaborativeTestRecorded:
        """One result row per participant, sharing ``ai_responses``; all or nothing."""
        names = [p.agent_type for p in data.participants]
        dupes = _duplicates(names)
        if dupes:
            raise ValidationFailed(
                f"participants: {', '.join(map(repr, dupes))} appear more than once",
                field="participants",
            )

        async def apply() -> CollaborativeTestRecorded:
            await self._lock_participants(names)
            test_id = data.test_id or str(uuid.uuid4())
            custody = AgentMetricsService(self.uow, self.settings, self.rules)
            results = []
            for p in sorted(data.participants, key=lambda p: p.agent_type):
                results.append(
                    await custody.update_custody_test_result(
                        p.agent_type,
                        CustodyTestIn(
                            **p.model_dump(exclude={"agent_type"}),
                            timestamp=data.timestamp,
                            test_id=test_id,
                            test_category=data.test_category,
                            test_difficulty=data.test_difficulty,
                            test_type="collaborative",
                            ai_responses=data.ai_responses,
                        ),
                    )
                )
            return CollaborativeTestRecorded(test_id=test_id, results=results)

        return await run_idempotent(
            self.uow,
            idempotency_key,
            "collaborative_test",
            CollaborativeTestRecorded,
            apply,
            request=data,
        )

    # -- ratings' inputs ---------------------------------------------------------------

    async def leaderboard_agents(
        self, method: RatingMethod
    ) -> tuple[tuple[Any, ...], list[Mapping[str, Any]]]:
        """The events' watermark and the project's agents, in one statement (one snapshot).

        Agents come by xp for ``xp`` (the SQL ranks them), else by name, with only the columns
        a leaderboard entry shows.
        """
        a = agents.c
        columns = [a.agent_type, a.level, a.xp, a.pass_rate, a.adversarial_wins]
        marks = self.events.watermark_columns()
        stmt = select(*marks, *columns).where(a.project_id == self.uow.project_id)
        if method == "xp":
            stmt = stmt.order_by(a.xp.desc(), a.agent_type)
        else:
            stmt = stmt.order_by(a.agent_type)
        rows = (await self.uow.session.execute(stmt)).all()
        if not rows:  # no agents: no row to carry the watermark
            return await self.events.ratings_watermark(), []
        names = [c.name for c in columns]
        width = len(marks)
        return tuple(rows[0][:width]), [dict(zip(names, r[width:], strict=True)) for r in rows]
