"""Error mapping: every failure a client can cause becomes a clear 4xx, in one place.

Domain errors carry their status and the field they concern; database constraint violations
that slip past validation become 409/422 rather than 500; a lost or refused database becomes
a fast 503 with ``Retry-After`` (marked transient so safe reads are retried once).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from evalledger.api.resilience import TRANSIENT_HEADER
from evalledger.errors import EvalLedgerError

log = structlog.get_logger("evalledger.api")

#: SQLSTATE classes that mean "the server went away or is not accepting us right now".
_TRANSIENT_SQLSTATES = ("08", "57P")


def _body(message: str, field: str | None = None, status: int = 400) -> dict[str, Any]:
    # 422 answers always use FastAPI's validation shape (a list naming the location), so
    # every 422 a client sees has one schema.
    if field or status == 422:
        return {"detail": [{"loc": [field or "body"], "msg": message, "type": "value_error"}]}
    return {"detail": message}


def _rejected(message: str) -> JSONResponse:
    return JSONResponse(
        {"detail": [{"loc": ["body"], "msg": message, "type": "database_rejected"}]},
        status_code=422,
    )


def unavailable(reason: str, *, replay: bool = True) -> JSONResponse:
    """503 with ``Retry-After``. ``replay=False``: safe reads are not retried in-process."""
    headers = {"Retry-After": "1"}
    if replay:
        headers[TRANSIENT_HEADER.decode()] = "1"
    return JSONResponse(
        _body(f"database unavailable ({reason}); retry shortly"), status_code=503, headers=headers
    )


def is_transient(exc: BaseException) -> bool:
    """True for errors that mean the database is (briefly) unreachable, not a bad request."""
    if isinstance(exc, (OSError, ConnectionError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)):
            return True
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_TRANSIENT_SQLSTATES):
            return True
        name = type(exc.orig).__name__
        return "Connection" in name or "CannotConnectNow" in name
    return False


def _encodable(value: Any) -> bool:
    """Whether ``value`` can go into a JSON answer exactly (no NaN, no lone surrogate)."""
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError):
        return False
    return True


def _printable(value: Any) -> Any:
    """``value`` made encodable: lone surrogates escaped, NaN/Infinity spelt as text."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {str(_printable(k)): _printable(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_printable(v) for v in value]
    return value


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors as a 422 body that can always be encoded.

    The offending ``input`` is echoed only when it encodes exactly: a body holding NaN or a
    lone surrogate must get its 422, not a 500 from the error page itself.
    """
    details = []
    for error in jsonable_encoder(errors):
        detail = {k: _printable(error[k]) for k in ("type", "loc", "msg", "ctx") if k in error}
        if "input" in error and _encodable(error["input"]):
            detail["input"] = error["input"]
        details.append(detail)
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_details(exc.errors())}, status_code=422)

    @app.exception_handler(ValidationError)
    async def _invalid_value(_: Request, exc: ValidationError) -> JSONResponse:
        # A model validated inside a route (not the request body itself): still the input.
        return JSONResponse({"detail": validation_details(exc.errors())}, status_code=422)

    @app.exception_handler(EvalLedgerError)
    async def _domain(_: Request, exc: EvalLedgerError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            _body(exc.message, exc.field, exc.status), status_code=exc.status, headers=headers
        )

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity_error", error=str(exc.orig)[:500])
        return JSONResponse(
            _body("the request conflicts with stored data (a constraint was violated)"),
            status_code=409,
        )

    @app.exception_handler(DBAPIError)
    async def _dbapi(_: Request, exc: DBAPIError) -> JSONResponse:
        if is_transient(exc):
            log.error("database_unavailable", error=str(exc.orig)[:300])
            return unavailable("connection lost")
        log.error("database_error", error=str(exc.orig)[:500])
        return _rejected("the database rejected a value of this request")

    @app.exception_handler(OverflowError)
    async def _overflow(_: Request, exc: OverflowError) -> JSONResponse:
        # A number too large for the database (e.g. beyond SQLite's 64-bit INTEGER) that a
        # route forgot to bound: still the client's input, so a 422, never a 500.
        log.warning("value_overflow", error=str(exc)[:300])
        return _rejected("a number in this request is out of range for storage")

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> JSONResponse:
        # A value the driver could not bind (wrong type, out of range): the client's input.
        if isinstance(exc, DBAPIError):
            return await _dbapi(request, exc)
        log.warning("unbindable_value", error=str(exc.orig)[:300])
        return _rejected("a value of this request cannot be stored")

    @app.exception_handler(PoolTimeout)
    async def _pool(_: Request, exc: PoolTimeout) -> JSONResponse:
        log.error("pool_timeout", error=str(exc)[:300])
        return unavailable("no free connection")

    @app.exception_handler(OSError)
    async def _os(_: Request, exc: OSError) -> JSONResponse:
        log.error("database_unreachable", error=str(exc)[:300] or type(exc).__name__)
        if isinstance(exc, TimeoutError):
            # The database did not answer in time (frozen, partitioned): replaying the read
            # would only make the caller wait a second time for the same silence.
            return unavailable("no answer in time", replay=False)
        return unavailable("unreachable")
