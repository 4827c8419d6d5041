"""The FastAPI application factory.

``create_app`` wires the shared mechanisms (ledger, auth, errors, limits, request ids) and
mounts each domain's router. The ledger is opened in the lifespan, which refuses to start on a
database whose schema is not current.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response

from evalledger._version import __version__
from evalledger.api.errors import install_error_handlers
from evalledger.api.health import router as health_router
from evalledger.api.limits import BodySizeLimit
from evalledger.api.metrics import router as metrics_router
from evalledger.api.resilience import RetryTransientReads
from evalledger.config import Settings, get_settings
from evalledger.domains import domain_modules
from evalledger.monitoring import ERRORS, REQUEST_LATENCY, REQUESTS
from evalledger.sdk.ledger import Ledger

log = structlog.get_logger("evalledger.api")

ROUTERS = [
    health_router,
    metrics_router,
    *(module.router for module in domain_modules("router")),
]


def create_app(
    settings: Settings | None = None, *, no_auth: bool = False, ledger: Ledger | None = None
) -> FastAPI:
    """Build the app. Pass ``ledger`` to share an already-open one (tests, embedding)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = ledger is None
        app.state.ledger = ledger or await Ledger.open(settings=settings)
        log.info("started", database=settings.redacted_url(), no_auth=no_auth)
        try:
            yield
        finally:
            if owned:
                await app.state.ledger.close()

    app = FastAPI(
        title="evalledger",
        version=__version__,
        description=(
            "A database-first ledger for AI evaluation results. Every route except `/health` "
            "needs `Authorization: Bearer <key>`; keys are scoped `read`, `write` or `admin` "
            "and see only their project."
        ),
        lifespan=lifespan,
    )
    app.state.no_auth = no_auth
    app.state.settings = settings
    if ledger is not None:
        app.state.ledger = ledger
    install_error_handlers(app)

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id[:64])
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.clear_contextvars()
        response.headers["X-Request-ID"] = request_id[:64]
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        REQUESTS.labels(request.method, template, str(response.status_code)).inc()
        REQUEST_LATENCY.labels(request.method, template).observe(elapsed)
        if response.status_code >= 400:
            kind = "server" if response.status_code >= 500 else "client"
            ERRORS.labels(kind, str(response.status_code)).inc()
        log.info(
            "request",
            method=request.method,
            path=request.url.path,
            route=template,
            status=response.status_code,
            duration_ms=round(elapsed * 1000, 2),
            request_id=request_id[:64],
        )
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RetryTransientReads)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """The app of one ``evalledger serve --workers N`` worker process (uvicorn factory)."""
    import os

    return create_app(no_auth=os.environ.get("EVALLEDGER_SERVE_NO_AUTH") == "1")
