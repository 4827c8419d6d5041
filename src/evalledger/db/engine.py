"""Engine construction: one place that knows how each backend must be driven.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout, and
every write transaction starts with ``BEGIN IMMEDIATE`` under a process-wide lock. That pair
is what ends "database is locked": pysqlite's deferred BEGIN lets two transactions both read
and then both try to upgrade to a write lock, and one of them loses without waiting. With
IMMEDIATE the write lock is taken up front (waiting up to the busy timeout for another
process), and the in-process lock keeps our own writers queued instead of spinning.

PostgreSQL runs on asyncpg with a pool, an explicit READ COMMITTED isolation level, a server
side statement timeout and optional TLS (``sslmode``). With ``read_replica_urls`` set, read-only
units of work are routed to streaming replicas (see :mod:`evalledger.db.replicas`); this module
and :class:`evalledger.uow.UnitOfWork` are the only places that choose where a query goes.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from evalledger.config import Settings
from evalledger.db.failures import check_sqlite_creatable
from evalledger.db.replicas import (
    Replica,
    ReplicaSession,
    ReplicaSet,
    open_replica_session,
    replica_label,
)
from evalledger.monitoring import instrument_engine
from evalledger.schema.storable import json_column_text

#: Execution option that marks a connection as one that will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "evalledger_write"


class Database:
    """The engine and session factories for one database URL.

    ``read_sessions`` hand out sessions for queries; ``write_sessions`` hand out sessions whose
    transaction is opened for writing. Only :class:`evalledger.uow.UnitOfWork` uses them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: AsyncEngine = _create_engine(settings)
        self.dialect_name: str = self.engine.dialect.name
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self.read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)
        # Created lazily so that it binds to the running event loop on first use.
        self._write_lock: asyncio.Lock | None = None
        self.replicas: ReplicaSet | None = None
        if settings.read_replica_urls:
            replicas = []
            for url in settings.read_replica_urls:
                engine = _postgres_engine(settings, url)
                instrument_engine(engine, pool_label=replica_label(url))
                sessions = async_sessionmaker(engine, expire_on_commit=False, class_=ReplicaSession)
                replicas.append(Replica(replica_label(url), engine, sessions))
            self.replicas = ReplicaSet(
                replicas,
                max_lag_seconds=settings.replica_max_lag_seconds,
                check_interval_seconds=settings.replica_check_interval_seconds,
                check_timeout_seconds=settings.connect_timeout,
            )

    @property
    def row_security(self) -> bool:
        """True when tenant transactions run under PostgreSQL row-level security."""
        return self.is_postgres and self.settings.pg_row_security

    @property
    def is_sqlite(self) -> bool:
        return self.dialect_name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.dialect_name == "postgresql"

    def write_lock(self) -> asyncio.Lock | None:
        """The in-process writer queue (SQLite only: PostgreSQL has row locks)."""
        if not self.is_sqlite:
            return None
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        return self._write_lock

    @asynccontextmanager
    async def write_connection(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one write transaction, queued behind the writer lock.

        For the bulk operators (migrations, restore, CSV import) that work below the unit of
        work: same queueing and ``BEGIN IMMEDIATE`` as a write unit of work, no session.
        """
        lock = self.write_lock()
        if lock is None:
            async with self.write_engine.begin() as conn:
                yield conn
            return
        async with lock, self.write_engine.begin() as conn:
            yield conn

    def session(self, *, write: bool) -> AsyncSession:
        """A session on the primary."""
        return (self.write_sessions if write else self.read_sessions)()

    async def read_session(self, *, primary: bool = False) -> AsyncSession:
        """A session for a read-only unit of work: on a healthy replica when there is one.

        Falls back to the primary (counted in the replica metrics) when every replica is down
        or lagging; ``primary=True`` skips the replicas (read-your-writes across requests).
        """
        if self.replicas is not None and not primary:
            session = await open_replica_session(self.replicas, self.engine)
            if session is not None:
                return session
        return self.read_sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.replicas is not None:
            await self.replicas.dispose()


def _create_engine(settings: Settings) -> AsyncEngine:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(settings)
    else:
        engine = _postgres_engine(settings)
    # Every statement timed and the pool reported (evalledger_db_* in /metrics).
    instrument_engine(engine, pool_label="primary")
    return engine


def _sqlite_engine(settings: Settings) -> AsyncEngine:
    # Refuse a file in a missing directory up front, with its name: the driver would only say
    # "unable to open database file" (and aiosqlite's thread would print a traceback).
    check_sqlite_creatable(settings.database_url)
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {}
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_async_engine(settings.database_url, json_serializer=json_column_text, **kwargs)
    busy_ms = settings.sqlite_busy_timeout_ms

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so we can choose the BEGIN flavour.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def _postgres_engine(settings: Settings, database_url: str | None = None) -> AsyncEngine:
    url = make_url(database_url or settings.database_url)
    query = dict(url.query)
    # libpq spells TLS as ?sslmode=...; asyncpg takes ssl=... as a connect argument.
    sslmode = settings.sslmode or query.pop("sslmode", None) or query.pop("ssl", None)
    url = url.set(query=query)
    server_settings = {"application_name": "evalledger"}
    if settings.statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.statement_timeout_ms)
    connect_args: dict[str, Any] = {
        "server_settings": server_settings,
        "timeout": settings.connect_timeout,
    }
    if sslmode:
        connect_args["ssl"] = sslmode
    cache_size = settings.pg_prepared_statement_cache_size
    connect_args["prepared_statement_cache_size"] = cache_size
    if cache_size == 0:
        # Transaction-mode pooler (PgBouncer): a server connection is shared between clients
        # from one transaction to the next, so nothing may outlive a transaction by name.
        # SQLAlchemy's cache off, asyncpg's own cache off, and every statement a unique name
        # (SQLAlchemy's documented recipe for PgBouncer with asyncpg).
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    if settings.statement_timeout_ms:
        # The client stops waiting shortly after the server would have cancelled the
        # statement: a server that never answers (frozen, partitioned) cannot hold a
        # connection, a transaction's rollback or a request forever.
        connect_args["command_timeout"] = settings.statement_timeout_ms / 1000 + COMMAND_GRACE_S
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_recycle=settings.pool_recycle,
        pool_timeout=settings.pool_timeout,
        isolation_level="READ COMMITTED",
        connect_args=connect_args,
        json_serializer=json_column_text,
    )
    if settings.pool_pre_ping:
        _ping_on_checkout(engine, settings.health_timeout)
    return engine


#: Seconds the client waits for a statement beyond the server's own ``statement_timeout``.
COMMAND_GRACE_S = 5.0


def _ping_on_checkout(engine: AsyncEngine, within: float) -> None:
    """A liveness ping, bounded to ``within`` seconds, whenever a pooled connection is reused.

    SQLAlchemy's own ``pool_pre_ping`` waits without limit: with the server frozen or cut off
    by a partition every request hung for as long as the outage lasted, ``/health``
    included. A ping that does not answer in time closes that connection at once (no
    graceful goodbye to a server that does not answer) and makes the pool open a new one,
    which is bounded by the connect timeout: the request fails fast with a 503 instead.
    Fresh connections have just proved themselves and are not pinged.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info["evalledger_fresh"] = True

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if record.info.pop("evalledger_fresh", False):
            return
        try:
            dbapi_connection.run_async(lambda conn: conn.execute("SELECT 1", timeout=within))
        except BaseException as exc:
            dbapi_connection.driver_connection.terminate()
            if not isinstance(exc, Exception):
                raise  # cancelled: the connection is closed, the cancellation goes on
            raise DisconnectionError(f"no answer to a ping within {within:g} s") from exc


T = TypeVar("T")


class PerDatabase(Generic[T]):
    """One ``T`` per :class:`Database`, made on first use and dropped with the database.

    For process-local state that belongs to one engine and its event loop (the group-commit
    registry, the ratings cache) and must be shared by every actor's view of the ledger.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._by_db: weakref.WeakKeyDictionary[Database, T] = weakref.WeakKeyDictionary()

    def __call__(self, db: Database) -> T:
        value = self._by_db.get(db)
        if value is None:
            value = self._by_db[db] = self._factory()
        return value
