"""Request body limits as plain ASGI middleware: size (413) and JSON nesting depth (422).

The size cap refuses on ``Content-Length`` before reading, and counts streamed bytes for
chunked bodies. JSON bodies are then checked for nesting depth before any parser sees them:
Python's recursive JSON decoder would otherwise hit the recursion limit on a body like
``[[[[...]]]]`` and turn a hostile request into a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evalledger.api.asgi import HttpMiddleware


class BodyTooLarge(Exception):
    pass


_STRINGS = re.compile(rb'"(?:\\.|[^"\\])*"')
_BRACKETS = re.compile(rb"[\[\]{}]")
#: A JSON ``\u0000`` escape (not preceded by an escaping backslash), or a raw NUL byte.
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000|\x00")


def parsed_as_json(content_type: bytes | None) -> bool:
    """Whether a body with this ``Content-Type`` may reach a JSON parser, so must be guarded.

    FastAPI parses a body as JSON when the type is ``application/json`` or
    ``application/*+json`` in any casing and with any parameters; the guard takes a wider
    net (any type naming ``json``, in any casing, or no type at all) so that no spelling of
    the header can slip a body past it.
    """
    return not content_type or b"json" in content_type.lower()


def has_body(headers: dict[bytes, bytes]) -> bool:
    """Whether the request carries a body at all (HTTP/1.1: a non-zero length, or chunks).

    A bodiless request (most GETs) has nothing to guard, and is not buffered.
    """
    length = headers.get(b"content-length")
    return b"transfer-encoding" in headers or (length is not None and length.strip() != b"0")


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True when ``body`` nests arrays/objects deeper than ``limit`` (strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class BodySizeLimit(HttpMiddleware):
    def __init__(self, app: ASGIApp, max_bytes: int, max_json_depth: int = 32) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        if has_body(headers) and parsed_as_json(headers.get(b"content-type")):
            await self._check_json(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _check_json(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer a JSON body (already bounded by the size cap), check its depth, replay it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _NUL.search(body):
            # PostgreSQL text and jsonb cannot hold NUL; refuse it on every backend alike.
            await self._refuse(send, status=422, message="strings may not contain NUL (\\u0000)")
            return
        if json_depth_exceeds(body, self.max_json_depth):
            await self._refuse(
                send, status=422, message=f"JSON nests deeper than {self.max_json_depth} levels"
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, status: int = 413, message: str | None = None) -> None:
        text = message or f"request body exceeds {self.max_bytes} bytes"
        kind = "too_large" if status == 413 else "value_error"
        body: dict[str, Any] = {"detail": [{"loc": ["body"], "msg": text, "type": kind}]}
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
