"""What every domain facade of the in-process :class:`~evalledger.sdk.ledger.Ledger` shares.

A facade method opens one unit of work, calls its domain service and returns the service's
answer. The REST routers call the same facade methods, so the SDK, the API and the CLI speak
one vocabulary and share one code path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, Self

from evalledger.config import Settings
from evalledger.db.engine import Database
from evalledger.errors import parse_uuid
from evalledger.operations.boundary import guard_public_methods
from evalledger.operations.local import bind_local
from evalledger.operations.spec import Binder, Operation
from evalledger.uow import LOCAL_ACTOR, Actor, UnitOfWork


class LedgerBase(Binder):
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard_public_methods(cls)  # bad input raises ValidationFailed, never pydantic's error

    def __init__(self, db: Database, settings: Settings, actor: Actor = LOCAL_ACTOR) -> None:
        self.db = db
        self.settings = settings
        self.actor = actor
        self.primary_reads = False

    def as_actor(self, actor: Actor) -> Self:
        """The same ledger (same engine and pool) acting for another key or project."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.actor = actor
        return clone

    def in_project(self, project_id: object) -> Self:
        return self.as_actor(replace(self.actor, project_id=parse_uuid(project_id, "project_id")))

    def pin_primary(self) -> Self:
        """The same ledger with every read on the primary (no read replica).

        With read replicas configured, a read right after this caller's write in an *earlier*
        unit of work may land on a replica that has not replayed it yet (up to
        ``replica_max_lag_seconds``). Read through ``ledger.pin_primary()`` when that read must
        see the write. Within one unit of work read-your-writes always holds.
        """
        clone = self.as_actor(self.actor)
        clone.primary_reads = True
        return clone

    def _bind(self, op: Operation[Any, Any, Any]) -> Callable[..., Any]:
        return bind_local(op, self)

    def _read(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.actor, write=False, primary=self.primary_reads)

    def _write(self) -> UnitOfWork:
        return UnitOfWork(self.db, self.actor, write=True)

    def _across_projects(self, *, write: bool = False) -> UnitOfWork:
        """A unit of work that sees every project: operator tools only (verify, global
        statistics), never a tenant request. Not subject to row-level security."""
        return UnitOfWork(self.db, self.actor, write=write, tenant_scoped=False)
