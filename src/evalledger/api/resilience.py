"""Riding out a database restart: transient errors answer 503 fast, safe reads retry once.

The error handlers mark a response caused by a lost or refused database connection with an
internal header. For GET and HEAD requests (idempotent, no body to replay) this middleware
swallows such a response and runs the request once more after a short pause: the pool's
pre-ping has by then discarded the dead connections, so a request that raced a restart
succeeds instead of failing. Writes are never replayed here; clients retry them with their
idempotency keys.
"""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from evalledger.api.asgi import HttpMiddleware

TRANSIENT_HEADER = b"x-evalledger-transient"
RETRY_DELAY_S = 0.25


class RetryTransientReads(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        transient = False
        # What the first run read of the request, so the second run reads the same: the
        # real ``receive`` would otherwise wait for the client to disconnect.
        received: list[Message] = []

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message

        async def first_send(message: Message) -> None:
            nonlocal transient
            if message["type"] == "http.response.start":
                headers = message.get("headers") or []
                if any(k == TRANSIENT_HEADER for k, _ in headers):
                    transient = True
                    return
            if transient:
                return  # drop the body of the response we are replacing
            await send(message)

        await self.app(scope, recording_receive, first_send)
        if not transient:
            return
        await asyncio.sleep(RETRY_DELAY_S)

        async def final_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (k, v) for k, v in message.get("headers") or [] if k != TRANSIENT_HEADER
                ]
            await send(message)

        replay = iter(received)

        async def replaying_receive() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replaying_receive, final_send)
