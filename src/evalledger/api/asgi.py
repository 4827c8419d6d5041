"""The base of the service's plain ASGI middlewares.

They are plain ASGI rather than Starlette's ``BaseHTTPMiddleware`` (which runs the app in a
separate task with memory streams between them: on the hot path that cost more than the
database work). Each acts on HTTP requests only; lifespan and any other scope pass straight
through, which is said once here.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """Wraps ``app``; HTTP requests go to :meth:`handle`, every other scope straight to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One HTTP request (``scope["type"] == "http"``)."""
        raise NotImplementedError
