"""``evalledger.Client`` (async) and ``evalledger.SyncClient`` (blocking), over HTTP.

    async with Client("http://127.0.0.1:8000", api_key="evl_...") as client:
        await client.update_custody_test_result("guardian", {"passed": True, "score": 95})

    with SyncClient("http://127.0.0.1:8000", api_key="evl_...") as client:
        client.get_agent_metrics("guardian")

Method names and return types are the in-process :class:`~evalledger.sdk.ledger.Ledger`'s.
Each domain contributes a client mixin; :class:`Client` is their union.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Coroutine
from typing import Any, Self, TypeVar

from evalledger.agents.client import AgentsClient
from evalledger.assessments.client import AssessmentsClient
from evalledger.audit.client import AuditClient
from evalledger.competitions.client import CompetitionsClient
from evalledger.consensus.client import ConsensusClient
from evalledger.evolution.client import EvolutionClient
from evalledger.framework.client import FrameworkClient
from evalledger.power.client import PowerClient
from evalledger.verification.client import VerificationClient

T = TypeVar("T")


class Client(
    AgentsClient,
    AssessmentsClient,
    CompetitionsClient,
    AuditClient,
    VerificationClient,
    ConsensusClient,
    FrameworkClient,
    PowerClient,
    EvolutionClient,
):
    """Async HTTP client for the evalledger REST API."""


class SyncClient:
    """Blocking wrapper: every public coroutine method of :class:`Client`, run to completion.

    The async client lives on a private event loop in a background thread, so the blocking
    calls work anywhere, including inside a running loop (a notebook, an async test).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="evalledger-sync-client", daemon=True
        )
        self._thread.start()
        self._client: Client = self._call(self._make(*args, **kwargs))

    @staticmethod
    async def _make(*args: Any, **kwargs: Any) -> Client:
        return Client(*args, **kwargs)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or not inspect.iscoroutinefunction(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(attr(*args, **kwargs))

        return call

    def close(self) -> None:
        self._call(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
