"""The one translation of database and driver failures into the project's own errors.

The unit of work applies :func:`translate` to whatever leaves its ``async with`` block (a
statement, a flush, the commit), so no SQLAlchemy, asyncpg or sqlite3 exception reaches a
caller of :class:`~evalledger.Ledger`, a REST route or a CLI command; the REST API's handlers
call the same function for anything that ran outside a unit of work. The table
(``docs/errors.md``, "What the database refuses"):

=====================================================  ===========================  ======
The database or driver says                            Raised                       HTTP
=====================================================  ===========================  ======
unique or foreign-key violation (23505, 23503)          :class:`ConflictError`       409
NOT NULL or CHECK violation (23502, 23514)              :class:`ValidationFailed`    422
bad data: NUL, bad encoding, too long, out of range     :class:`ValidationFailed`    422
(class 22; SQLite's ``OverflowError`` and
``UnicodeEncodeError``; a value no type can bind)
serialization failure or deadlock (40001, 40P01)        :class:`ConflictError`       409
missing table or column (42P01, 42703)                  :class:`SchemaOutOfDate`     503
insufficient privilege (42501: row-level security)      :class:`PermissionDenied`    403
lost connection, cannot connect, pool exhausted,        :class:`DatabaseUnavailable` 503
statement or lock timeout, server shutting down
anything else the database refuses                      :class:`ValidationFailed`    422
=====================================================  ===========================  ======

A serialization failure is a lost race, not an outage: the database is healthy and the same
request may succeed at once, so it is a 409 the caller may retry (``Retry-After`` is kept for
503s, which the :class:`~evalledger.Client` retries on its own for safe requests).

:class:`ValidationFailed` names the column when the driver or the statement tells which one
(``field``); arguments of ``Ledger`` methods are checked before any statement runs
(:mod:`evalledger.operations.boundary`), so those name the argument itself.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from evalledger.errors import (
    ConflictError,
    DatabaseUnavailable,
    EvalLedgerError,
    PermissionDenied,
    SchemaOutOfDate,
    ValidationFailed,
)

if TYPE_CHECKING:
    from evalledger.uow import UnitOfWork

T = TypeVar("T")

#: What the REST API hands to :func:`translate` when it escaped a unit of work.
TRANSLATABLE: tuple[type[Exception], ...] = (
    SQLAlchemyError,
    OSError,
    OverflowError,
    UnicodeEncodeError,
)

#: SQLSTATE classes and codes (PostgreSQL), see the table above.
_UNIQUE, _FOREIGN_KEY = "23505", "23503"
_RACES = ("40001", "40P01")
#: Connection exceptions, operator intervention (shutdown, statement timeout), lock timeout.
_UNAVAILABLE = ("08", "57", "55P03", "53300")
#: SQLite's words for the same constraint kinds.
_SQLITE_CONFLICT = ("UNIQUE constraint failed", "FOREIGN KEY constraint failed")
_SQLITE_BUSY = ("database is locked", "unable to open database file", "disk I/O error")
#: A table or column the code expects is missing: the schema is older than the code.
_NO_SUCH = ("42P01", "42703")
_SQLITE_NO_SUCH = ("no such table", "no such column")
_MIGRATE = "take a backup, then run `evalledger db upgrade`"
#: Insufficient privilege, e.g. a row outside this project's row-level security policy.
_PRIVILEGE = "42501"

_LIMIT = 500


def translate(exc: BaseException) -> EvalLedgerError | None:
    """The project's error for a database or driver failure; ``None`` for anything else.

    An :class:`EvalLedgerError` is returned as it is, so translating twice is harmless.
    """
    if isinstance(exc, EvalLedgerError):
        return exc
    if isinstance(exc, DBAPIError):
        return _dbapi(exc)
    if isinstance(exc, StatementError):
        # A value SQLAlchemy's type could not bind (a str for a UUID, a huge int): the input.
        orig = exc.orig if isinstance(exc.orig, BaseException) else exc
        return _refused(f"a value cannot be stored: {_first_line(orig)}", _column(exc, None))
    if isinstance(exc, PoolTimeout):
        return DatabaseUnavailable(
            "database unavailable: no free connection (pool exhausted); retry shortly"
        )
    if isinstance(exc, TimeoutError):
        unavailable = DatabaseUnavailable("database unavailable: no answer in time; retry shortly")
        unavailable.replay = False  # replaying would only wait a second time
        return unavailable
    if isinstance(exc, (ConnectionError, socket.gaierror, OSError)):
        return DatabaseUnavailable(
            f"database unavailable: unreachable ({_first_line(exc)}); retry shortly"
        )
    if isinstance(exc, OverflowError):
        # SQLite's driver refuses an int beyond 64 bits before SQLAlchemy can wrap it.
        return _refused("a number is out of range for storage (at most 64-bit integers)", None)
    if isinstance(exc, UnicodeEncodeError):
        return _refused(
            "strings may not contain a lone surrogate: not valid Unicode, cannot be stored", None
        )
    return None


def _dbapi(exc: DBAPIError) -> EvalLedgerError:
    code = sqlstate(exc)
    text = _first_line(exc.orig)
    if is_unavailable(exc):
        return DatabaseUnavailable(f"database unavailable: connection lost ({text}); retry shortly")
    if code in _RACES:
        return ConflictError("a concurrent transaction changed the same data; retry the request")
    if isinstance(exc, IntegrityError) or (code or "").startswith("23"):
        return _integrity(exc, code, text)
    if code in _NO_SUCH or text.startswith(_SQLITE_NO_SUCH):
        return SchemaOutOfDate(f"the database schema is not this version's ({text}): {_MIGRATE}")
    if code == _PRIVILEGE:
        return PermissionDenied(f"the database refused access: {text}"[:_LIMIT])
    return _refused(f"the database refused a value: {text}", _column(exc, text))


def _integrity(exc: DBAPIError, code: str | None, text: str) -> EvalLedgerError:
    if code in (_UNIQUE, _FOREIGN_KEY) or text.startswith(_SQLITE_CONFLICT):
        return ConflictError(f"the change conflicts with stored data: {text}"[:_LIMIT])
    return _refused(f"a value breaks a rule of the database: {text}", _column(exc, text))


def _refused(message: str, field: str | None) -> ValidationFailed:
    message = message[:_LIMIT]
    return ValidationFailed(f"{field}: {message}" if field else message, field=field)


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database is (briefly) out of reach, not a bad request."""
    if isinstance(exc, (OSError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    code = sqlstate(exc)
    if code is not None:
        return code.startswith(_UNAVAILABLE)
    name = type(exc.orig).__name__
    if "Connection" in name or "CannotConnectNow" in name:
        return True
    # SQLite has no SQLSTATE: a locked or unreadable file is an outage, a bad value is not.
    return isinstance(exc, OperationalError) and str(exc.orig).startswith(_SQLITE_BUSY)


def sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a wrapped driver error (``None`` on SQLite)."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _first_line(exc: object) -> str:
    cause = getattr(exc, "__cause__", None)
    text = str(cause or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# -- which column ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$(\d+)|\?")
_ARGUMENT = re.compile(r"query argument \$(\d+)")
_COLUMN_BEFORE = re.compile(r"([A-Za-z_][\w]*)\s*(?:=|!=|<>|<=|>=|<|>|\bLIKE|\bIN\s*\()\s*$", re.I)
_INSERT = re.compile(r"INSERT INTO\s+\S+\s*\(([^)]*)\)\s*VALUES\s*\(", re.I | re.S)
_SQLITE_COLUMN = re.compile(r"constraint failed: \w+\.(\w+)")


def _column(exc: StatementError, text: str | None) -> str | None:
    """The column a refused value was meant for, when the error or the statement tells."""
    cause = getattr(getattr(exc, "orig", None), "__cause__", None)
    named = getattr(cause, "column_name", None)
    if isinstance(named, str) and named:
        return named
    if text and (found := _SQLITE_COLUMN.search(text)):
        return found.group(1)
    position = _position(exc, text)
    if position is None or not exc.statement:
        return None
    return _column_at(str(exc.statement), position)


def _position(exc: StatementError, text: str | None) -> int | None:
    """The 0-based bind position of the offending value."""
    if text and (found := _ARGUMENT.search(text)):
        return int(found.group(1)) - 1
    params: Any = exc.params
    if isinstance(params, list) and params:
        params = params[0]
    if not isinstance(params, (tuple, list)):
        return None
    for index, value in enumerate(params):
        if isinstance(value, str) and ("\x00" in value or not _encodes(value)):
            return index
    return None


def _encodes(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _column_at(statement: str, position: int) -> str | None:
    """The column compared with, or inserted from, the placeholder at ``position``."""
    marks = list(_PLACEHOLDER.finditer(statement))
    numbered = [m for m in marks if m.group(1) is not None]
    mark = (
        next((m for m in numbered if int(m.group(1)) == position + 1), None)
        if numbered
        else (marks[position] if position < len(marks) else None)
    )
    if mark is None:
        return None
    insert = _INSERT.search(statement)
    if insert is not None and insert.end() <= mark.start():
        columns = [c.strip().strip('"') for c in insert.group(1).split(",")]
        before = [m for m in marks if insert.end() <= m.start() < mark.start()]
        return columns[len(before) % len(columns)] if columns else None
    found = _COLUMN_BEFORE.search(statement[: mark.start()])
    return found.group(1) if found else None


# -- inserts that may collide --------------------------------------------------------------


async def insert_or_conflict(
    uow: UnitOfWork, insert: Callable[[], Awaitable[T]], conflict: Callable[[], ConflictError]
) -> T:
    """Run ``insert`` in a savepoint; a unique violation (a concurrent writer stored the same
    key first) raises ``conflict()`` and leaves the rest of the transaction usable."""
    try:
        async with uow.session.begin_nested():
            return await insert()
    except IntegrityError as exc:
        if not _is_conflict(exc):
            raise
        raise conflict() from None


#: Attempts of a write whose race the database settles with a unique violation.
RACE_ATTEMPTS = 5


async def retry_on_race(uow: UnitOfWork, work: Callable[[], Awaitable[T]], what: str) -> T:
    """Run ``work`` in a savepoint; if a concurrent writer made the database refuse it with a
    unique violation, roll back to the savepoint and run it again (each statement sees the
    winner's committed row); after :data:`RACE_ATTEMPTS` losses, 409."""
    for _ in range(RACE_ATTEMPTS):
        try:
            async with uow.session.begin_nested():
                return await work()
        except IntegrityError as exc:
            if not _is_conflict(exc):
                raise
    raise ConflictError(f"{what} kept colliding with concurrent writes; retry")


def _is_conflict(exc: IntegrityError) -> bool:
    return sqlstate(exc) == _UNIQUE or str(exc.orig).startswith(_SQLITE_CONFLICT[0])
