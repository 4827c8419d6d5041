"""The FastAPI application factory.

``create_app`` wires the shared mechanisms (ledger, auth, errors, limits, request ids) and
mounts each domain's router. The ledger is opened in the lifespan, which refuses to start on a
database whose schema is not current.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import Depends, FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from evalledger._version import __version__
from evalledger.api.asgi import HttpMiddleware
from evalledger.api.docs import install_docs
from evalledger.api.errors import install_error_handlers
from evalledger.api.health import router as health_router
from evalledger.api.limits import BodySizeLimit
from evalledger.api.metrics import router as metrics_router
from evalledger.api.openapi import install_openapi
from evalledger.api.resilience import RetryTransientReads
from evalledger.api.security_headers import SecurityHeaders
from evalledger.config import Settings, get_settings
from evalledger.domains import domain_modules
from evalledger.monitoring import ERRORS, REQUEST_LATENCY, REQUESTS
from evalledger.operations.deps import strict_query
from evalledger.sdk.ledger import Ledger

log = structlog.get_logger("evalledger.api")

ROUTERS = [
    health_router,
    metrics_router,
    *(module.router for module in domain_modules("router")),
]


class RequestContext(HttpMiddleware):
    """Request id, metrics and the access log line (plain ASGI: see :mod:`evalledger.api.asgi`)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        incoming = dict(scope.get("headers") or []).get(b"x-request-id")
        request_id = (incoming.decode("latin-1") if incoming else uuid.uuid4().hex)[:64]
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.clear_contextvars()
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        template = getattr(route, "path", "unmatched")
        method = scope["method"]
        REQUESTS.labels(method, template, str(status)).inc()
        REQUEST_LATENCY.labels(method, template).observe(elapsed)
        if status >= 400:
            ERRORS.labels("server" if status >= 500 else "client", str(status)).inc()
        log.info(
            "request",
            method=method,
            path=scope["path"],
            route=template,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            request_id=request_id,
        )


def _freeze_startup_objects() -> None:
    """Keep what exists at startup out of the garbage collector's full collections.

    The modules, the app, its routes and models and the engine are hundreds of thousands of
    objects that live as long as the process. A full (generation 2) collection walked all of
    them: 50-150 ms with the event loop stopped, every request in flight waiting (py-spy and
    ``gc.callbacks`` under the REST bench: the one burst of ~200 ms latencies per run was a
    gen-2 collection). ``gc.freeze()`` moves them to the permanent generation, so later
    collections look only at objects created since; they are still freed by reference
    counting, and cycles among them were never garbage anyway.
    """
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None, *, no_auth: bool = False, ledger: Ledger | None = None
) -> FastAPI:
    """Build the app. Pass ``ledger`` to share an already-open one (tests, embedding)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = ledger is None
        app.state.ledger = ledger or await Ledger.open(settings=settings)
        if owned:  # a server process (not an app embedded around a caller's ledger)
            _freeze_startup_objects()
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
        dependencies=[Depends(strict_query)],
        docs_url=None,  # served by install_docs, from the package (no CDN)
        redoc_url=None,
    )
    app.state.no_auth = no_auth
    app.state.settings = settings
    if ledger is not None:
        app.state.ledger = ledger
    install_error_handlers(app)

    app.add_middleware(RequestContext)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(RetryTransientReads)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, 413s included
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)
    install_docs(app)
    return app


def app_from_env() -> FastAPI:
    """The app of one ``evalledger serve --workers N`` worker process (uvicorn factory)."""
    import os

    return create_app(no_auth=os.environ.get("EVALLEDGER_SERVE_NO_AUTH") == "1")
