"""What every domain facade of the in-process :class:`~evalledger.sdk.ledger.Ledger` shares.

A facade method opens one unit of work, calls its domain service and returns the service's
answer. The REST routers call the same facade methods, so the SDK, the API and the CLI speak
one vocabulary and share one code path.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Self

from evalledger.config import Settings
from evalledger.db.engine import Database
from evalledger.uow import LOCAL_ACTOR, Actor, UnitOfWork


class LedgerBase:
    def __init__(self, db: Database, settings: Settings, actor: Actor = LOCAL_ACTOR) -> None:
        self.db = db
        self.settings = settings
        self.actor = actor

    def as_actor(self, actor: Actor) -> Self:
        """The same ledger (same engine and pool) acting for another key or project."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.actor = actor
        return clone

    def in_project(self, project_id: object) -> Self:
        import uuid

        return self.as_actor(replace(self.actor, project_id=uuid.UUID(str(project_id))))

    def _read(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.actor, write=False)

    def _write(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.actor, write=True)
