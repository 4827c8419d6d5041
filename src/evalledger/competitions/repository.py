"""Queries of the competitions domain, scoped to the unit of work's project.

Statistics and the ratings' input are single SQL statements over the participants table;
nothing here loads rows into Python to count them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    FromClause,
    RowMapping,
    Select,
    Table,
    case,
    exists,
    func,
    select,
    type_coerce,
)
from sqlalchemy.types import NullType

from evalledger.competitions.models import OlympicEvent, OlympicEventParticipant
from evalledger.db.dialect import insert
from evalledger.db.repository import Range, Repository, id_owners

events: Table = OlympicEvent.__table__  # type: ignore[assignment]
participants: Table = OlympicEventParticipant.__table__  # type: ignore[assignment]


class EventRepository(Repository[OlympicEvent]):
    model = OlympicEvent

    def where(
        self,
        stmt: Select[Any],
        filters: Mapping[str, Any] | None = None,
        ranges: Mapping[str, Range] | None = None,
    ) -> Select[Any]:
        """The generic filters plus ``participant``: an indexed EXISTS on the participants."""
        rest = dict(filters or {})
        participant = rest.pop("participant", None)
        stmt = super().where(stmt, rest, ranges)
        if participant is not None:
            stmt = stmt.where(
                exists().where(
                    participants.c.project_id == self.uow.project_id,
                    participants.c.agent_type == participant,
                    participants.c.event_id == events.c.id,
                )
            )
        return stmt

    async def owner(self, event_id: uuid.UUID) -> uuid.UUID | None:
        """The project the event id is used in, whatever project (to tell replay from clash)."""
        return (await id_owners(self.uow, events, [event_id])).get(event_id)

    async def insert_event(self, values: Mapping[str, Any]) -> bool:
        """Insert the event unless its id exists; True when inserted (idempotent on ``id``)."""
        stmt = (
            insert(self.uow.dialect, events)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(events.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def insert_participants(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await self.session.execute(participants.insert(), [dict(r) for r in rows])

    def _filtered(
        self,
        stmt: Select[Any],
        event_type: str | None,
        start: datetime | None,
        end: datetime | None,
    ) -> Select[Any]:
        stmt = stmt.where(events.c.project_id == self.uow.project_id)
        if event_type is not None:
            stmt = stmt.where(events.c.event_type == event_type)
        if start is not None:
            stmt = stmt.where(events.c.created_at >= start)
        if end is not None:
            stmt = stmt.where(events.c.created_at <= end)
        return stmt

    async def counts_by_type(
        self, event_type: str | None, start: datetime | None, end: datetime | None
    ) -> list[tuple[str, int]]:
        stmt = self._filtered(
            select(events.c.event_type, func.count().label("n")), event_type, start, end
        )
        stmt = stmt.group_by(events.c.event_type).order_by(events.c.event_type)
        return [(t, int(n)) for t, n in (await self.session.execute(stmt)).all()]

    async def agent_stats(
        self, event_type: str | None, start: datetime | None, end: datetime | None
    ) -> Sequence[RowMapping]:
        p = participants.c
        stmt = select(
            p.agent_type,
            func.count().label("events"),
            func.coalesce(func.sum(case((p.is_winner, 1), else_=0)), 0).label("wins"),
            func.avg(p.score).label("average_score"),
            func.coalesce(func.sum(p.xp), 0).label("xp_awarded"),
            func.coalesce(func.sum(p.penalty), 0).label("penalties"),
            func.coalesce(func.sum(p.learning), 0.0).label("learning_awarded"),
        ).select_from(participants.join(events, events.c.id == p.event_id))
        stmt = self._filtered(stmt, event_type, start, end).where(
            p.project_id == self.uow.project_id
        )
        stmt = stmt.group_by(p.agent_type).order_by(p.agent_type)
        return list((await self.session.execute(stmt)).mappings())

    async def scored_rows(self, event_type: str | None) -> Sequence[tuple[Any, str, float]]:
        """``(event, agent_type, score)`` of every scored participant, in event order.

        ``event`` is the event id as the driver returns it, not a :class:`uuid.UUID`: it is
        only compared with its neighbours to tell events apart, and converting 8,000 ids
        was a third of the read's time on SQLite.
        """
        p = participants.c
        stmt = (
            select(type_coerce(p.event_id, NullType()), p.agent_type, p.score)
            .select_from(participants.join(events, events.c.id == p.event_id))
            .where(p.project_id == self.uow.project_id, p.score.is_not(None))
        )
        stmt = self._filtered(stmt, event_type, None, None).order_by(
            events.c.created_at, events.c.id, p.agent_type
        )
        result = (await self.session.execute(stmt)).all()
        return [(row[0], str(row[1]), float(row[2])) for row in result]

    async def scored_counts(self, event_type: str | None) -> tuple[int, dict[str, int]]:
        """Scored events, and per agent the scored events it played: two GROUP BY reads.

        What :func:`~evalledger.competitions.leaderboard.played_counts` makes of
        :meth:`scored_rows`, without loading the rows (the ``xp`` leaderboard needs no more).
        """
        p = participants.c
        source: FromClause = participants
        if event_type is not None:
            source = participants.join(events, events.c.id == p.event_id)
        scored = [p.project_id == self.uow.project_id, p.score.is_not(None)]
        if event_type is not None:
            scored.append(events.c.event_type == event_type)
        per_agent = (
            select(p.agent_type, func.count())
            .select_from(source)
            .where(*scored)
            .group_by(p.agent_type)
        )
        played = {str(a): int(n) for a, n in (await self.session.execute(per_agent)).all()}
        if not played:
            return 0, played
        total = select(func.count(func.distinct(p.event_id))).select_from(source).where(*scored)
        return int((await self.session.execute(total)).scalar_one()), played

    def watermark_columns(self) -> list[Any]:
        """A cheap fingerprint of the project's events, as scalar subqueries (index scans).

        Events are append-only and their participant rows are removed only with their event
        or agent (cascades), so recording an event changes both counts and the newest
        ``created_at``, and losing rows changes a count: ``(events, newest created_at,
        participant rows)`` changes whenever anything the ratings read does.
        """
        pid = self.uow.project_id
        e, p = events.c, participants.c
        return [
            select(func.count()).select_from(events).where(e.project_id == pid).scalar_subquery(),
            select(func.max(e.created_at)).where(e.project_id == pid).scalar_subquery(),
            select(func.count())
            .select_from(participants)
            .where(p.project_id == pid)
            .scalar_subquery(),
        ]

    async def ratings_watermark(self) -> tuple[Any, ...]:
        """:meth:`watermark_columns`, read on their own."""
        return tuple((await self.session.execute(select(*self.watermark_columns()))).one())
