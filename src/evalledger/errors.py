"""Domain errors: raised by services, mapped to HTTP statuses and CLI exit codes in one place.

Every exception that :class:`~evalledger.Ledger`, :class:`~evalledger.Client`,
:class:`~evalledger.SyncClient` and their recorders raise derives from :class:`EvalLedgerError`,
and the same mistake raises the same class in-process and over HTTP, so one ``except`` clause
serves both. This module imports nothing heavy: the remote client depends on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any


class EvalLedgerError(Exception):
    """Base class. ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(EvalLedgerError):
    status = 404


class ConflictError(EvalLedgerError):
    status = 409


class ValidationFailed(EvalLedgerError):
    """Bad input: a value the schema refuses or one that breaks a domain rule.

    ``field`` names the first offending field (dotted, e.g. ``results.3.score``); ``errors``
    lists every ``(field, message)`` found.
    """

    status = 422

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: Iterable[tuple[str | None, str]] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.errors: list[tuple[str | None, str]] = list(errors or [(field, message)])


class PermissionDenied(EvalLedgerError):
    status = 403


class Unauthenticated(EvalLedgerError):
    status = 401


class SchemaOutOfDate(EvalLedgerError):
    """The database is not at the migration head this code expects."""

    status = 503


class DatabaseNotInitialised(SchemaOutOfDate):
    """The database has no evalledger schema at all: it needs ``evalledger init``."""


class ConfigurationError(EvalLedgerError):
    """A setting is wrong (a malformed value, a database that does not exist)."""

    status = 500


class DatabaseMissing(ConfigurationError):
    """The configured database does not exist (PostgreSQL) or cannot be created (SQLite)."""


class UnavailableError(EvalLedgerError):
    """Something needed is unreachable right now; retrying later may succeed."""

    status = 503


class DatabaseUnavailable(UnavailableError):
    """The database cannot be reached (from the server: the server's database is down).

    ``replay`` is False when the database did not answer in time: the server then does not
    replay a safe read in-process, which would only wait a second time for the same silence.
    """

    replay = True


class ServerUnreachable(UnavailableError):
    """The :class:`~evalledger.Client` cannot reach the evalledger server at all."""


def from_validation_error(exc: Any, *, prefix: str | None = None) -> ValidationFailed:
    """A pydantic ``ValidationError`` as :class:`ValidationFailed` naming each field.

    Duck-typed (``exc.errors()``) so that this module does not import pydantic. ``prefix``
    is prepended to every location (e.g. ``results.4`` for an item of a batch).
    """
    found: list[tuple[str | None, str]] = []
    for err in exc.errors():
        loc = [str(p) for p in ([prefix] if prefix else []) + list(err.get("loc", ()))]
        found.append((".".join(loc) or None, str(err.get("msg", "invalid value"))))
    if not found:
        return ValidationFailed(str(exc), field=prefix)
    field, msg = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return ValidationFailed(f"{field}: {msg}{more}" if field else msg, field=field, errors=found)


def parse_uuid(value: object, field: str) -> uuid.UUID:
    """``value`` as a UUID, or :class:`ValidationFailed` naming ``field``."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):  # str() of a deeply nested value would not even return
        raise ValidationFailed(f"{field}: not a UUID: a {type(value).__name__}", field=field)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(f"{field}: not a UUID: {str(value)[:80]!r}", field=field) from None


def with_field_offset(exc: EvalLedgerError, collection: str, offset: int) -> EvalLedgerError:
    """``exc`` with ``collection.N`` in its field and message renumbered to ``N + offset``.

    A recorder sends the caller's results in batches; an error about item 3 of the second
    batch of 1000 concerns the caller's item 1003, and says so.
    """
    if not offset or not exc.field or not exc.field.startswith(f"{collection}."):
        return exc
    head = exc.field[len(collection) + 1 :].partition(".")[0]
    if not head.isdigit():
        return exc
    old = f"{collection}.{head}"
    new = f"{collection}.{int(head) + offset}"
    field = exc.field.replace(old, new, 1)
    message = exc.message.replace(old, new)
    clone = type(exc).__new__(type(exc))
    clone.__dict__.update(exc.__dict__)
    Exception.__init__(clone, message)
    clone.message, clone.field = message, field
    if isinstance(clone, ValidationFailed):
        clone.errors = [
            (f.replace(old, new, 1) if f else f, m.replace(old, new)) for f, m in clone.errors
        ]
    return clone


#: CLI exit codes (README, "CLI"). Bad usage includes malformed options and settings.
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_SCHEMA = 0, 1, 2, 3, 4


def exit_code(exc: EvalLedgerError) -> int:
    """The CLI exit code for a domain error: one table for every command."""
    table: Mapping[type[EvalLedgerError], int] = {
        SchemaOutOfDate: EXIT_SCHEMA,
        NotFoundError: EXIT_NOT_FOUND,
        ConfigurationError: EXIT_USAGE,
    }
    for cls, code in table.items():
        if isinstance(exc, cls):
            return code
    return EXIT_ERROR
