"""What went wrong reaching the database, as one line a user can act on.

The drivers say ``unable to open database file`` or ``database "x" does not exist`` deep in a
traceback. :func:`translate` turns those into the project's own errors, naming the file or the
database and what to run (and hands every other failure to the one table,
:func:`evalledger.db.translate.translate`); :func:`check_sqlite_file` refuses, before
anything is created, to open a SQLite file that is not there (connecting would silently
create an empty one).
"""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from evalledger.db import translate as translation
from evalledger.errors import (
    ConfigurationError,
    DatabaseMissing,
    DatabaseNotInitialised,
    DatabaseUnavailable,
    EvalLedgerError,
)

#: SQLSTATEs: the database does not exist; the role may not log in (or has no password match).
_NO_DATABASE = "3D000"
_LOGIN_REFUSED = ("28000", "28P01")

INIT_HINT = "run `evalledger init` (from Python: `Ledger.open(..., migrate_schema=True)`)"


def sqlite_path(database_url: str) -> Path | None:
    """The absolute path of a file-backed SQLite URL; ``None`` for PostgreSQL or ``:memory:``."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()


def describe(database_url: str) -> str:
    """``SQLite file /abs/x.db`` or ``PostgreSQL database 'x' on host:5432`` (no password)."""
    path = sqlite_path(database_url)
    if path is not None:
        return f"SQLite file {path}"
    url: URL = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return "in-memory SQLite database"
    return f"PostgreSQL database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def check_sqlite_file(database_url: str) -> None:
    """Refuse a SQLite URL whose file does not exist, without creating it.

    Only ``evalledger init`` (and ``migrate_schema=True``) may create a database; a command or
    a script started from the wrong directory must not leave an empty ``evalledger.db`` behind.
    """
    path = sqlite_path(database_url)
    if path is None or path.exists():
        return
    if not path.parent.is_dir():
        raise _missing_directory(path)
    raise DatabaseNotInitialised(f"no evalledger database at {path}: {INIT_HINT}")


def check_sqlite_creatable(database_url: str) -> None:
    """Before creating a SQLite file: its directory must exist (we never create directories)."""
    path = sqlite_path(database_url)
    if path is not None and not path.parent.is_dir():
        raise _missing_directory(path)


def _missing_directory(path: Path) -> DatabaseMissing:
    return DatabaseMissing(
        f"SQLite file {path}: directory {path.parent} does not exist "
        "(create it, or point EVALLEDGER_DATABASE_URL elsewhere)"
    )


sqlstate = translation.sqlstate


def _driver_message(exc: DBAPIError) -> str:
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    text = str(cause or orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


def translate(exc: BaseException, database_url: str) -> EvalLedgerError | None:
    """The project's error for a driver or connection failure, or ``None`` if not one."""
    if isinstance(exc, EvalLedgerError):
        return exc
    where = describe(database_url)
    if isinstance(exc, DBAPIError):
        code = sqlstate(exc)
        if code == _NO_DATABASE:
            return DatabaseMissing(f"{where} does not exist: run `evalledger init` to create it")
        if code in _LOGIN_REFUSED:
            return ConfigurationError(
                f"cannot log in to {where}: {_driver_message(exc)} (check EVALLEDGER_DATABASE_URL)"
            )
        if "unable to open database file" in str(exc.orig):
            path = sqlite_path(database_url)
            if path is not None and not path.parent.is_dir():
                return _missing_directory(path)
            return DatabaseUnavailable(f"cannot open {where}: {_driver_message(exc)}")
        if exc.connection_invalidated or "connect" in type(exc.orig).__name__.lower():
            return DatabaseUnavailable(f"lost the connection to {where}: {_driver_message(exc)}")
    elif isinstance(exc, PoolTimeout):
        return DatabaseUnavailable(f"no free connection to {where} (pool exhausted)")
    elif isinstance(exc, (ConnectionError, socket.gaierror, TimeoutError)):
        return DatabaseUnavailable(f"cannot reach {where}: {exc}")
    # Everything that does not depend on which database: the one table every caller uses.
    return translation.translate(exc)
