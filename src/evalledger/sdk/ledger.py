"""``evalledger.Ledger``: the whole ledger in-process, async.

    async with Ledger.open() as ledger:               # EVALLEDGER_DATABASE_URL or SQLite
        await ledger.update_custody_test_result("guardian", {"passed": True, "score": 95})
        print((await ledger.get_agent_metrics("guardian")).xp)

Each domain contributes a facade class; :class:`Ledger` is their union plus lifecycle.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from evalledger.agents.facade import AgentsFacade
from evalledger.agents.operations import AgentOperations, ResultsOperations
from evalledger.assessments.facade import AssessmentsFacade
from evalledger.assessments.operations import AssessmentsOperations
from evalledger.audit.operations import AuditOperations
from evalledger.competitions.facade import CompetitionsFacade
from evalledger.competitions.operations import CompetitionsOperations
from evalledger.config import Settings, load_settings
from evalledger.consensus.operations import ConsensusOperations
from evalledger.db import failures, migrate
from evalledger.db.engine import Database
from evalledger.evolution.operations import EvolutionOperations
from evalledger.framework.operations import FrameworkOperations
from evalledger.power.operations import PowerOperations
from evalledger.runs.compare_operations import RunComparisonOperations
from evalledger.runs.facade import RunsFacade
from evalledger.runs.operations import RunsOperations
from evalledger.runs.session import RunSessions
from evalledger.tenancy import service as tenancy
from evalledger.uow import LOCAL_ACTOR, Actor, UnitOfWork
from evalledger.verification.operations import TrainingOperations, VerificationOperations

L = TypeVar("L", bound="Ledger")


class _Opening(Generic[L]):
    """What :meth:`Ledger.open` returns: await it, or use it as ``async with``."""

    def __init__(self, factory: Callable[[], Awaitable[L]]) -> None:
        self._factory = factory
        self._ledger: L | None = None

    def __await__(self) -> Generator[Any, None, L]:
        return self._factory().__await__()

    async def __aenter__(self) -> L:
        self._ledger = await self._factory()
        return self._ledger

    async def __aexit__(self, *exc: object) -> None:
        if self._ledger is not None:
            await self._ledger.close()


class Ledger(
    AgentsFacade,
    AgentOperations,
    ResultsOperations,
    AssessmentsFacade,
    AssessmentsOperations,
    CompetitionsFacade,
    VerificationOperations,
    TrainingOperations,
    AuditOperations,
    FrameworkOperations,
    RunsOperations,
    RunComparisonOperations,
    RunsFacade,
    RunSessions,
    EvolutionOperations,
    CompetitionsOperations,
    ConsensusOperations,
    PowerOperations,
):
    """The in-process ledger. Method names and return types match :class:`Client`'s."""

    @classmethod
    def open(
        cls,
        database_url: str | None = None,
        *,
        project: str | None = None,
        migrate_schema: bool = False,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> _Opening[Self]:
        """Connect, check the schema is current (or migrate it) and scope to ``project``.

        ``await Ledger.open()`` or ``async with Ledger.open() as ledger:``. Without
        ``migrate_schema=True`` nothing is created: a SQLite file that does not exist raises
        :class:`~evalledger.errors.DatabaseNotInitialised` naming the file (run
        ``evalledger init``), an older schema :class:`~evalledger.errors.SchemaOutOfDate`.
        With ``migrate_schema=True`` the database is created (SQLite) and migrated to head.
        """
        return _Opening(
            lambda: cls._open(
                database_url,
                project=project,
                migrate_schema=migrate_schema,
                settings=settings,
                **overrides,
            )
        )

    @classmethod
    async def _open(
        cls,
        database_url: str | None = None,
        *,
        project: str | None = None,
        migrate_schema: bool = False,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> Self:
        if settings is None:
            if database_url is not None:
                overrides["database_url"] = database_url
            settings = load_settings(**overrides)
        if migrate_schema:
            failures.check_sqlite_creatable(settings.database_url)
        else:
            failures.check_sqlite_file(settings.database_url)  # never create an empty file
        db = Database(settings)
        try:
            if migrate_schema:
                await migrate.upgrade(db)
            await migrate.ensure_current(db)
            actor = LOCAL_ACTOR
            if project is not None:
                async with UnitOfWork(db, write=False, primary=True, tenant_scoped=False) as uow:
                    proj = await tenancy.get_project(uow, project)
                actor = Actor(project_id=proj.id, name=f"local:{project}")
        except Exception as exc:
            await db.dispose()
            translated = failures.translate(exc, settings.database_url)
            if translated is None or translated is exc:
                raise
            raise translated from exc
        except BaseException:
            await db.dispose()
            raise
        return cls(db, settings, actor)

    async def close(self) -> None:
        await self.db.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
