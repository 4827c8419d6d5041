"""Browser-facing security headers on every response, as plain ASGI middleware.

The dashboard is server-rendered HTML with no JavaScript, one stylesheet and inline SVG
charts, so its policy can be strict: nothing loads except the site's own stylesheet and
images, no script runs, forms post only to this site, and no other site may frame a page
(clickjacking). The same headers cost nothing on JSON answers, which are never rendered.

The one exception is the interactive API documentation (``/docs``, ``/redoc``): Swagger UI
and ReDoc run inline scripts, so those pages get every header except the content policy's
script-blocking part (``frame-ancestors`` still applies).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from evalledger.api.asgi import HttpMiddleware

#: No script at all (``script-src`` falls back to ``default-src 'none'``), no inline style.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
#: For the API documentation pages, which need their inline scripts.
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
    # dashboard's own form posts, which the CSRF check (evalledger.web.csrf) must refuse.
    "Referrer-Policy": "same-origin",
}


def policy_for(path: str) -> str:
    """The Content-Security-Policy for a response to ``path``."""
    if path in DOCS_PATHS or path.startswith(tuple(f"{p}/" for p in DOCS_PATHS)):
        return DOCS_POLICY
    return CONTENT_SECURITY_POLICY


class SecurityHeaders(HttpMiddleware):
    """Add :data:`HEADERS` and the path's content policy, unless a route set its own."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        policy = policy_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
