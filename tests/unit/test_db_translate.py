"""The one table from driver failures to the project's errors (no database needed).

Each row builds the exception SQLAlchemy raises for a driver's error (a fake driver exception
carrying the PostgreSQL SQLSTATE, or SQLite's message) and checks the class, the HTTP status
and, where the driver or the statement tells, the column named as the field.
"""

from __future__ import annotations

import socket

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from evalledger import errors
from evalledger.db.translate import translate


class FakeDriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def pg(kind: type[DBAPIError], sqlstate: str, message: str, **kw: object) -> DBAPIError:
    statement = str(kw.pop("statement", "INSERT INTO t (a, b) VALUES ($1::VARCHAR, $2::INTEGER)"))
    params = kw.pop("params", ("x", 1))
    return kind(statement, params, FakeDriverError(message, sqlstate), **kw)  # type: ignore[arg-type]


BAD, DOWN, CONFLICT = errors.ValidationFailed, errors.DatabaseUnavailable, errors.ConflictError


def sqlite(kind: type[DBAPIError], message: str) -> DBAPIError:
    return kind("INSERT INTO t (a) VALUES (?)", ("x",), FakeDriverError(message))


@pytest.mark.parametrize(
    ("exc", "cls", "status"),
    [
        (pg(IntegrityError, "23505", "duplicate key value"), CONFLICT, 409),
        (pg(IntegrityError, "23503", "violates foreign key"), CONFLICT, 409),
        (pg(IntegrityError, "23514", "violates check constraint"), BAD, 422),
        (pg(IntegrityError, "23502", "null value in column"), BAD, 422),
        (sqlite(IntegrityError, "UNIQUE constraint failed: t.a"), CONFLICT, 409),
        (sqlite(IntegrityError, "FOREIGN KEY constraint failed"), CONFLICT, 409),
        (sqlite(IntegrityError, "CHECK constraint failed: ck"), BAD, 422),
        (pg(DBAPIError, "22021", "invalid byte sequence for UTF8"), BAD, 422),
        (pg(DBAPIError, "22001", "value too long"), BAD, 422),
        (pg(DBAPIError, "22003", "integer out of range"), BAD, 422),
        (pg(DBAPIError, "40001", "could not serialize access"), CONFLICT, 409),
        (pg(DBAPIError, "40P01", "deadlock detected"), CONFLICT, 409),
        (pg(DBAPIError, "57P01", "terminating connection"), DOWN, 503),
        (pg(DBAPIError, "08006", "connection failure"), DOWN, 503),
        (pg(DBAPIError, "57014", "statement timeout"), DOWN, 503),
        (pg(DBAPIError, "55P03", "could not obtain lock"), DOWN, 503),
        (pg(DBAPIError, "42P01", 'relation "t" does not exist'), errors.SchemaOutOfDate, 503),
        (sqlite(OperationalError, "no such column: t.z"), errors.SchemaOutOfDate, 503),
        (pg(DBAPIError, "42501", "row-level security policy"), errors.PermissionDenied, 403),
        (sqlite(OperationalError, "database is locked"), DOWN, 503),
        (pg(DBAPIError, "XX000", "internal error", connection_invalidated=True), DOWN, 503),
        (pg(DBAPIError, "P0001", "raised by a trigger"), BAD, 422),
        (StatementError("bad", "SELECT 1", {}, TypeError("not a UUID")), BAD, 422),
        (PoolTimeout("QueuePool limit reached"), DOWN, 503),
        (ConnectionRefusedError("refused"), DOWN, 503),
        (socket.gaierror("no such host"), DOWN, 503),
        (TimeoutError(), DOWN, 503),
        (OverflowError("int too large"), BAD, 422),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates"), BAD, 422),
    ],
)
def test_each_failure_becomes_one_class_with_its_status(
    exc: BaseException, cls: type[errors.EvalLedgerError], status: int
) -> None:
    translated = translate(exc)
    assert type(translated) is cls
    assert translated.status == status
    assert "sqlalchemy" not in translated.message.lower()


def test_a_timeout_is_not_replayed_but_a_lost_connection_is() -> None:
    """A frozen database: replaying the read would only wait again for the same silence."""
    timeout = translate(TimeoutError())
    lost = translate(pg(DBAPIError, "57P01", "terminating connection"))
    assert isinstance(timeout, errors.DatabaseUnavailable) and timeout.replay is False
    assert isinstance(lost, errors.DatabaseUnavailable) and lost.replay is True


@pytest.mark.parametrize(
    ("exc", "field"),
    [
        # asyncpg names the argument it could not encode: its column in the INSERT.
        (pg(DBAPIError, "22000", "invalid input for query argument $2: 2**70 (out of int64)"), "b"),
        # the server says only "invalid byte sequence": the NUL-holding parameter tells.
        (pg(DBAPIError, "22021", "invalid byte sequence", params=("a\x00", 1)), "a"),
        # a lookup: the column compared with the placeholder.
        (
            pg(
                DBAPIError,
                "22000",
                "invalid input for query argument $2: 'x\\ud800'",
                statement="SELECT * FROM t WHERE t.project_id = $1::UUID AND t.name = $2::VARCHAR",
            ),
            "name",
        ),
        # SQLite's NOT NULL message names table.column.
        (sqlite(IntegrityError, "NOT NULL constraint failed: t.score"), "score"),
        # nothing to tell by: no field rather than a wrong one.
        (pg(DBAPIError, "22003", "numeric field overflow", params=("x", 1)), None),
    ],
)
def test_the_column_is_named_when_the_error_or_statement_tells(
    exc: DBAPIError, field: str | None
) -> None:
    translated = translate(exc)
    assert isinstance(translated, errors.ValidationFailed)
    assert translated.field == field
    if field:
        assert translated.message.startswith(f"{field}: ")


def test_our_own_errors_pass_through_and_others_are_not_ours() -> None:
    mine = errors.NotFoundError("no such claim")
    assert translate(mine) is mine
    assert translate(KeyError("x")) is None
    assert translate(ValueError("a bug, not the database")) is None


def test_every_translated_class_comes_back_the_same_from_the_client() -> None:
    """The Client maps the HTTP status back to a class: each status this table produces
    must map to the very class the in-process Ledger raises."""
    from evalledger.operations.http import _BY_STATUS

    for cls in (errors.ConflictError, errors.ValidationFailed, errors.DatabaseUnavailable):
        assert _BY_STATUS[cls.status] is cls
    assert issubclass(_BY_STATUS[errors.PermissionDenied.status], errors.PermissionDenied)
