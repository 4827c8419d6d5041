"""Group commit for single results: concurrent recordings of one agent share a transaction.

Every result of an agent must move the agent's counters under its row lock, so concurrent
writers of one agent queue behind each other, one transaction (several round trips) each.
Instead, the ledger keeps one small queue per (event loop, actor, agent): the first result
starts a transaction at once; results that arrive while it runs wait for the next one and
are then recorded *together*, in arrival order, in one transaction. Each caller still gets
its own answer, exactly what it would have got alone, and a failure of a grouped
transaction falls back to recording that group's results one by one (so one bad result
fails alone). An idle ledger adds no delay: a lone result is its own group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Most results recorded in one grouped transaction.
MAX_GROUP = 500


class GroupCommitter(Generic[T, R]):
    """Queue for one agent: ``record_many`` for groups, ``record_one`` as the fallback."""

    def __init__(
        self,
        record_many: Callable[[Sequence[T]], Awaitable[list[R]]],
        record_one: Callable[[T], Awaitable[R]],
        on_idle: Callable[[], None],
    ) -> None:
        self._record_many = record_many
        self._record_one = record_one
        self._on_idle = on_idle
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        try:
            while self._pending:
                group = self._pending[:MAX_GROUP]
                del self._pending[:MAX_GROUP]
                await self._run(group)
        finally:
            self._task = None
            self._on_idle()
            for _, future in self._pending:  # only when cancelled (loop shutting down)
                _settle(future, None, RuntimeError("the ledger stopped before recording"))
            self._pending.clear()

    async def _run(self, group: list[tuple[T, asyncio.Future[R]]]) -> None:
        if len(group) > 1:
            try:
                answers = await self._record_many([item for item, _ in group])
            except Exception:  # rolled back: record each alone, so each gets its own outcome
                pass
            else:
                for (_, future), answer in zip(group, answers, strict=True):
                    _settle(future, answer, None)
                return
        for item, future in group:
            try:
                _settle(future, await self._record_one(item), None)
            except Exception as exc:
                _settle(future, None, exc)


def _settle(future: asyncio.Future[Any], value: Any, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(value)


class GroupRegistry:
    """The committers of one ledger, created on demand and dropped when idle."""

    def __init__(self) -> None:
        self._committers: dict[tuple[Any, ...], GroupCommitter[Any, Any]] = {}

    def committer(
        self,
        key: tuple[Any, ...],
        record_many: Callable[[Sequence[T]], Awaitable[list[R]]],
        record_one: Callable[[T], Awaitable[R]],
    ) -> GroupCommitter[T, R]:
        key = (id(asyncio.get_running_loop()), *key)
        found = self._committers.get(key)
        if found is None:

            def forget() -> None:
                self._committers.pop(key, None)

            found = GroupCommitter(record_many, record_one, forget)
            self._committers[key] = found
        return found
