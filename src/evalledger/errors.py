"""Domain errors: raised by services, mapped to HTTP statuses and CLI exit codes in one place."""

from __future__ import annotations


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
    """Input that passed the schema but breaks a domain rule (names the field)."""

    status = 422


class PermissionDenied(EvalLedgerError):
    status = 403


class Unauthenticated(EvalLedgerError):
    status = 401


class SchemaOutOfDate(EvalLedgerError):
    """The database is not at the migration head this code expects."""

    status = 503


class DatabaseUnavailable(EvalLedgerError):
    status = 503
