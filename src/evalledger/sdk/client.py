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
import uuid
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, Unpack, overload

from evalledger.agents.client import AgentsClient
from evalledger.agents.operations import AgentOperations, ResultsOperations
from evalledger.agents.recorder import Recorder
from evalledger.assessments.client import AssessmentsClient
from evalledger.assessments.operations import AssessmentsOperations
from evalledger.audit.operations import AuditOperations
from evalledger.competitions.client import CompetitionsClient
from evalledger.competitions.operations import CompetitionsOperations
from evalledger.consensus.operations import ConsensusOperations
from evalledger.evolution.operations import EvolutionOperations
from evalledger.framework.operations import FrameworkOperations
from evalledger.operations.spec import BlockingBinder, Operation
from evalledger.power.operations import PowerOperations
from evalledger.runs.client import RunsClient
from evalledger.runs.compare_operations import RunComparisonOperations
from evalledger.runs.operations import RunsOperations
from evalledger.runs.session import RunFields, RunSessions, SyncRunSession
from evalledger.verification.operations import TrainingOperations, VerificationOperations

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")


class Client(
    AgentsClient,
    AgentOperations,
    ResultsOperations,
    AssessmentsClient,
    AssessmentsOperations,
    CompetitionsClient,
    VerificationOperations,
    TrainingOperations,
    AuditOperations,
    FrameworkOperations,
    RunsOperations,
    RunComparisonOperations,
    RunsClient,
    RunSessions,
    EvolutionOperations,
    CompetitionsOperations,
    ConsensusOperations,
    PowerOperations,
):
    """Async HTTP client for the evalledger REST API."""


class _Blocking(Generic[P, R]):
    """A :class:`Client` coroutine method as a blocking :class:`SyncClient` method, with the
    same parameters and the same (awaited) return type, for type checkers and IDEs too."""

    def __init__(self, method: Callable[Concatenate[Client, P], Coroutine[Any, Any, R]]) -> None:
        self._method = method
        functools.update_wrapper(self, method)  # type: ignore[arg-type]
        signature = inspect.signature(method)
        self._signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    @overload
    def __get__(self, obj: None, owner: type[SyncClient]) -> Self: ...
    @overload
    def __get__(self, obj: SyncClient, owner: type[SyncClient]) -> Callable[P, R]: ...
    def __get__(self, obj: SyncClient | None, owner: type[SyncClient]) -> Self | Callable[P, R]:
        if obj is None:
            return self
        method, client = self._method, obj

        @functools.wraps(method)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            return client._call(method(client._client, *args, **kwargs))

        call.__signature__ = self._signature  # type: ignore[attr-defined]
        return call


_blocking = _Blocking


class SyncRecorder:
    """:class:`~evalledger.agents.recorder.Recorder` for blocking code:
    ``with client.recorder() as rec: rec.record("guardian", passed=True, score=90)``."""

    def __init__(self, client: SyncClient, recorder: Recorder) -> None:
        self._client = client
        self._recorder = recorder

    @property
    def recorded(self) -> int:
        return self._recorder.recorded

    @property
    def duplicates(self) -> int:
        return self._recorder.duplicates

    def record(self, agent_type: str, **result: Any) -> uuid.UUID:
        """Buffer one result (written with the next batch); returns its id."""
        return self._client._call(self._recorder.record(agent_type, **result))

    def flush(self) -> None:
        self._client._call(self._recorder.flush())

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._client._call(self._recorder.__aexit__(exc_type, exc, tb))


class SyncClient(
    AgentOperations,
    ResultsOperations,
    VerificationOperations,
    TrainingOperations,
    AssessmentsOperations,
    AuditOperations,
    FrameworkOperations,
    RunsOperations,
    RunComparisonOperations,
    EvolutionOperations,
    CompetitionsOperations,
    ConsensusOperations,
    PowerOperations,
    BlockingBinder,
):
    """Blocking wrapper: every public coroutine method of :class:`Client`, run to completion.

    The async client lives on a private event loop in a background thread, so the blocking
    calls work anywhere, including inside a running loop (a notebook, an async test). Each
    method has the :class:`Client` method's parameters and returns what it returns.
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

    def _bind(self, op: Operation[Any, Any, Any]) -> Callable[..., Any]:
        """``op`` as the Client sends it, run to completion on the private loop."""
        remote = getattr(self._client, op.name)

        @functools.wraps(remote)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(remote(*args, **kwargs))

        return call

    def recorder(self, batch_size: int = 1000) -> SyncRecorder:
        """Buffer results and write them in batches (see :meth:`Client.recorder`)."""
        return SyncRecorder(self, self._client.recorder(batch_size))

    def start_run(self, task: str, **fields: Unpack[RunFields]) -> SyncRunSession:
        """A run recorded from this block (see :meth:`Client.start_run`):
        ``with client.start_run("custody", agent="guardian") as run: run.record(...)``."""
        return SyncRunSession(self._call, self._client.start_run(task, **fields))

    def close(self) -> None:
        self._call(self._client.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Client's coroutine methods, blocking (tests/unit/test_sdk_typing.py checks none is missing).
    export_assessments = _blocking(Client.export_assessments)
    export_results = _blocking(Client.export_results)
    get_assessment = _blocking(Client.get_assessment)
    get_cached_assessments = _blocking(Client.get_cached_assessments)
    import_assessments = _blocking(Client.import_assessments)
    leaderboard = _blocking(Client.leaderboard)
    import_run = _blocking(Client.import_run)
    record_custody_tests = _blocking(Client.record_custody_tests)
    stats = _blocking(Client.stats)
    update_custody_test_result = _blocking(Client.update_custody_test_result)
    verify = _blocking(Client.verify)
