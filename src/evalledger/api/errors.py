"""Error mapping: every failure a client can cause becomes a clear 4xx, in one place.

Domain errors carry their status and the field they concern; database constraint violations
that slip past validation become 409/422 rather than 500; a lost database becomes 503.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from evalledger.errors import EvalLedgerError

log = structlog.get_logger("evalledger.api")


def _body(message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"msg": message}
    if field:
        detail["loc"] = [field]
    return {"detail": [detail] if field else message, **extra}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EvalLedgerError)
    async def _domain(_: Request, exc: EvalLedgerError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(_body(exc.message, exc.field), status_code=exc.status, headers=headers)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        log.warning("integrity_error", error=str(exc.orig)[:500])
        return JSONResponse(
            _body("the request conflicts with stored data (a constraint was violated)"),
            status_code=409,
        )

    @app.exception_handler(OperationalError)
    async def _operational(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database_unavailable", error=str(exc.orig)[:500])
        return JSONResponse(
            _body("database unavailable; retry shortly"),
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(DBAPIError)
    async def _dbapi(_: Request, exc: DBAPIError) -> JSONResponse:
        if exc.connection_invalidated:
            return JSONResponse(
                _body("database connection lost; retry shortly"),
                status_code=503,
                headers={"Retry-After": "1"},
            )
        log.error("database_error", error=str(exc.orig)[:500])
        return JSONResponse(_body("the database rejected the request"), status_code=422)
