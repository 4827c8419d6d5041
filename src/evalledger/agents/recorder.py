"""Automatic batching behind a simple ``record(...)``, for the Ledger and the Client alike.

Evaluation loops call ``await rec.record(agent, passed=..., score=...)`` per result; the
recorder buffers them and writes a batch (one transaction, one request) every ``batch_size``
results and on exit. Each buffered result gets its id when recorded, so a flush that is
retried after a network error inserts nothing twice.

Each result is validated when it is recorded, so bad input raises
:class:`~evalledger.errors.ValidationFailed` at the ``record`` call that caused it, naming the
field and the caller's item number (``results.1003.score``: the 1004th result recorded, counting
from 0), not from a later flush. An error the ledger raises for a flushed batch is renumbered
the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from pydantic import ValidationError

from evalledger.agents.schemas import BatchResultIn
from evalledger.errors import (
    EvalLedgerError,
    ValidationFailed,
    from_validation_error,
    with_field_offset,
)


class Recorder:
    def __init__(
        self, send: Callable[[Sequence[BatchResultIn]], Awaitable[Any]], batch_size: int = 1000
    ) -> None:
        if not 1 <= batch_size <= 10_000:
            raise ValidationFailed(
                f"batch_size must be between 1 and 10000, not {batch_size}", field="batch_size"
            )
        self._send = send
        self.batch_size = batch_size
        self._buffer: list[BatchResultIn] = []
        #: How many results the caller has recorded (buffered or sent), and how many were sent.
        self._count = 0
        self._sent = 0
        self.recorded = 0
        self.duplicates = 0

    async def record(self, agent_type: str, **result: Any) -> uuid.UUID:
        """Buffer one result; returns the id it will be stored under."""
        result.setdefault("id", None)
        if result["id"] is None:
            result["id"] = uuid.uuid4()
        try:
            item = BatchResultIn.model_validate({"agent_type": agent_type, **result})
        except ValidationError as exc:
            raise from_validation_error(exc, prefix=f"results.{self._count}") from exc
        self._count += 1
        self._buffer.append(item)
        if len(self._buffer) >= self.batch_size:
            await self.flush()
        assert item.id is not None
        return item.id

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []
        try:
            out = await self._send(batch)
        except EvalLedgerError as exc:
            self._buffer = batch + self._buffer  # keep them for a retry
            renumbered = with_field_offset(exc, "results", self._sent)
            if renumbered is exc:
                raise
            raise renumbered from exc
        except BaseException:
            self._buffer = batch + self._buffer
            raise
        self._sent += len(batch)
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
