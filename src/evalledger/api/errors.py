"""Error mapping: every failure a client can cause becomes a clear 4xx, in one place.

Domain errors carry their status and the field they concern. Database failures arrive already
translated by the unit of work (:mod:`evalledger.db.translate`: constraint violations 409/422,
bad values 422); one that happened outside a unit of work goes through the same translation
here. A lost or refused database becomes a fast 503 with ``Retry-After`` (marked transient
so safe reads are retried once).
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

from evalledger.api.resilience import TRANSIENT_HEADER
from evalledger.db.translate import TRANSLATABLE, translate
from evalledger.errors import DatabaseUnavailable, EvalLedgerError

log = structlog.get_logger("evalledger.api")

#: Names the :mod:`evalledger.errors` class of an error answer (read by the Client).
ERROR_CLASS_HEADER = "Evalledger-Error"


def _body(message: str, field: str | None = None, status: int = 400) -> dict[str, Any]:
    # 422 answers always use FastAPI's validation shape (a list naming the location), so
    # every 422 a client sees has one schema.
    if field or status == 422:
        return {"detail": [{"loc": [field or "body"], "msg": message, "type": "value_error"}]}
    return {"detail": message}


def unavailable(message: str, *, replay: bool = True) -> JSONResponse:
    """503 with ``Retry-After``. ``replay=False``: safe reads are not retried in-process."""
    headers = {"Retry-After": "1"}
    if replay:
        headers[TRANSIENT_HEADER.decode()] = "1"
    return JSONResponse(_body(message), status_code=503, headers=headers)


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
        if isinstance(exc, DatabaseUnavailable):
            log.error("database_unavailable", error=str(exc.__cause__ or exc)[:300])
            response = unavailable(exc.message, replay=exc.replay)
        else:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            response = JSONResponse(
                _body(exc.message, exc.field, exc.status), status_code=exc.status, headers=headers
            )
        # The error's class, so the Client raises the same one as in-process (a 503 may be
        # a lost database or a schema to upgrade; the status alone cannot tell them apart).
        response.headers[ERROR_CLASS_HEADER] = type(exc).__name__
        return response

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # A database failure outside any unit of work (the units of work translate their
        # own): the same translation, so the same answer.
        translated = translate(exc)
        if translated is None:
            raise exc
        log.warning("database_error", error=str(exc)[:500])
        return await _domain(request, translated)

    for kind in TRANSLATABLE:
        app.add_exception_handler(kind, _database)
