"""Automatic batching behind a simple ``record(...)``, for the Ledger and the Client alike.

Evaluation loops call ``await rec.record(agent, passed=..., score=...)`` per result; the
recorder buffers them and writes a batch (one transaction, one request) every ``batch_size``
results and on exit. Each buffered result gets its id when recorded, so a flush that is
retried after a network error inserts nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self


class Recorder:
    def __init__(
        self, send: Callable[[Sequence[dict[str, Any]]], Awaitable[Any]], batch_size: int = 1000
    ) -> None:
        if not 1 <= batch_size <= 10_000:
            raise ValueError("batch_size must be between 1 and 10000")
        self._send = send
        self.batch_size = batch_size
        self._buffer: list[dict[str, Any]] = []
        self.recorded = 0
        self.duplicates = 0

    async def record(self, agent_type: str, **result: Any) -> uuid.UUID:
        """Buffer one result; returns the id it will be stored under."""
        result_id = result.pop("id", None) or uuid.uuid4()
        self._buffer.append({"agent_type": agent_type, "id": result_id, **result})
        if len(self._buffer) >= self.batch_size:
            await self.flush()
        return uuid.UUID(str(result_id))

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        try:
            out = await self._send(batch)
        except BaseException:
            self._buffer = batch + self._buffer  # keep them for a retry
            raise
        self.recorded += out.recorded
        self.duplicates += out.duplicates

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.flush()
