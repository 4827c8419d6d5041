"""``ledger.start_run(...)``: a block of results that is also a run of its own.

    async with ledger.start_run("custody", agent="guardian", agent_version="v2") as run:
        await run.record("t1", passed=True, score=90, metrics={"latency_ms": 812})
    print(run.recorded.run.id)   # the run, with its samples; each is a result of guardian

The decision (docs/runs.md, "Runs, agents and results"): each ``record`` is one sample of the
run, and the run's samples are the agent's results by the same mapping an import with
``--as-results`` uses (:mod:`evalledger.runs.as_results`), so the runs pages, the comparison
and the results query (``metadata.run_id``) see one set of facts.

The samples are buffered and written when the block ends, with the run and the results, by
one ``record_run(..., as_results=True)``: one transaction, one request. A reader never sees a
run without its samples, results without their run, or a run still changing; a run is as
immutable as an imported one (its summary, its comparison and ``evalledger verify`` need no
"in progress" case). The price: nothing is visible before the block ends, and a process that
dies inside the block records nothing. The block's outcome is the run's status: ``success``,
``error`` if it raised (the exception's type and message in ``metadata.error``; the results
recorded so far still count: they happened), ``cancelled`` if it was cancelled or
interrupted; the exception then propagates unchanged.

``external_id`` is the run's idempotency key (a fresh one per ``start_run`` by default). The
request is retry-safe, and the run's content hash leaves out its start and end times, so
running the block again under the same key with the same outcome changes nothing
(``created: false``), and another outcome is a 409 naming ``external_id``: a key is one run.

Each ``record`` is validated when it is made (an error names ``samples.N.FIELD``), as is the
run itself at ``start_run``, and the agent must exist when the block starts: mistakes surface
before the evaluation's work, not after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self, TypedDict, Unpack, cast

from pydantic import Field, ValidationError

from evalledger.agents.result_fields import Metrics
from evalledger.errors import NotFoundError, ValidationFailed, from_validation_error
from evalledger.runs.schemas import MAX_SAMPLES_PER_REQUEST, RunIn, RunRecorded, SampleIn
from evalledger.schema.types import RequestModel


class RunFields(TypedDict, total=False):
    """What ``start_run`` records about the run besides its task (see :class:`RunIn`)."""

    agent: str
    agent_version: str
    model: str
    tags: Sequence[str]
    external_id: str
    metadata: Mapping[str, Any]
    task_version: str
    dataset_name: str
    model_args: Mapping[str, Any]
    generation_config: Mapping[str, Any]
    git_revision: str
    #: the name of the scorer whose value is ``score`` (default ``"score"``)
    scorer: str


class SampleFields(TypedDict, total=False):
    """What ``record`` keeps of one sample besides its id, verdict and score."""

    #: the sample's epoch, for a sample run more than once (default 1)
    epoch: int
    #: other numbers: the run's other scorers, and the result's ``metrics``
    metrics: Mapping[str, float]
    #: seconds
    duration: float
    input_tokens: int
    output_tokens: int
    input: Any
    target: Any
    output: str
    messages: Any
    error: str
    metadata: Mapping[str, Any]


class _Verdict(RequestModel):
    passed: bool
    score: float = Field(ge=0, le=100, allow_inf_nan=False, description="0 to 100")
    metrics: Metrics = Field(default_factory=dict)


class _Recording(Protocol):
    """What a session needs of the ``Ledger`` or the ``Client`` it runs on."""

    async def record_run(
        self, run: RunIn, *, as_results: bool = ..., scorer: str | None = ...
    ) -> RunRecorded: ...

    async def get_custody_metrics(self, agent_type: str) -> object: ...


class RunSession:
    """One run being recorded: ``record`` each sample, the run is written when the block ends.

    After the block, :attr:`recorded` is what ``record_run`` answered (the run with its
    per-scorer summary, ``created`` false when the key was already recorded).
    """

    def __init__(self, ledger: _Recording, task: str, fields: RunFields) -> None:
        self._ledger = ledger
        self.scorer = fields.get("scorer", "score")
        values = {
            "harness": "sdk",
            "external_id": fields.get("external_id") or str(uuid.uuid4()),
            "task": task,
            "agent_type": fields.get("agent"),
            "status": "started",
            **{k: v for k, v in fields.items() if k not in {"agent", "scorer", "external_id"}},
            "scorers": [{"name": self.scorer}],
        }
        try:
            self._head = RunIn.model_validate(values)
        except ValidationError as exc:
            raise from_validation_error(exc) from exc
        self._samples: list[SampleIn] = []
        self._keys: set[tuple[str, int]] = set()
        self._others: dict[str, None] = {}  # the other scorers' names, in order of first use
        self._started: datetime | None = None
        self.recorded: RunRecorded | None = None

    @property
    def external_id(self) -> str:
        return self._head.external_id

    @property
    def samples(self) -> int:
        """How many samples have been recorded so far."""
        return len(self._samples)

    async def __aenter__(self) -> Self:
        agent = self._head.agent_type
        if agent is not None:
            try:
                await self._ledger.get_custody_metrics(agent)
            except NotFoundError as exc:
                raise NotFoundError(exc.message, field="agent") from None
        self._started = datetime.now(UTC)
        return self

    async def record(
        self, sample_id: str, *, passed: bool, score: float, **fields: Unpack[SampleFields]
    ) -> None:
        """Add one sample (and result): ``score`` on the results' 0-100 scale, ``passed`` its
        verdict. Written when the block ends; a mistake raises here, naming the field."""
        n = len(self._samples)
        if n >= MAX_SAMPLES_PER_REQUEST:
            raise ValidationFailed(
                f"samples: a run recorded with start_run holds at most "
                f"{MAX_SAMPLES_PER_REQUEST} samples (it is written in one request)",
                field="samples",
            )
        extra: dict[str, Any] = dict(fields)
        try:
            verdict = _Verdict.model_validate(
                {"passed": passed, "score": score, "metrics": extra.pop("metrics", {})}
            )
            if "duration" in extra:
                extra["total_time"] = extra.pop("duration")
            sample = SampleIn.model_validate(
                {"sample_id": sample_id, **extra, "scores": self._scores(verdict)}
            )
        except ValidationError as exc:
            raise from_validation_error(exc, prefix=f"samples.{n}") from exc
        if self.scorer in verdict.metrics:
            raise ValidationFailed(
                f"samples.{n}.metrics: {self.scorer!r} is the score's own name",
                field=f"samples.{n}.metrics",
            )
        key = (sample.sample_id, sample.epoch)
        if key in self._keys:
            raise ValidationFailed(
                f"samples.{n}.sample_id: sample {key[0]!r} (epoch {key[1]}) is already recorded "
                "in this run",
                field=f"samples.{n}.sample_id",
            )
        self._keys.add(key)
        self._others.update(dict.fromkeys(verdict.metrics))
        self._samples.append(sample)

    def _scores(self, verdict: _Verdict) -> dict[str, Any]:
        # The run's scale is the harnesses' (0 to 1); the result's score is back on 0-100.
        main = {"value": verdict.score / 100, "passed": verdict.passed, "raw": verdict.score}
        return {self.scorer: main, **{k: {"value": v} for k, v in verdict.metrics.items()}}

    def run(self, status: str = "success", error: BaseException | None = None) -> RunIn:
        """The run as it is sent at the end of the block, with ``status``."""
        metadata = dict(self._head.metadata)
        if error is not None:
            metadata["error"] = f"{type(error).__name__}: {error}"[:10_000]
        run = self._head.model_copy(
            update={
                "status": status,
                "metadata": metadata,
                "started_at": self._started,
                "completed_at": datetime.now(UTC),
                "scorers": [{"name": name} for name in (self.scorer, *self._others)],
                "samples": self._samples,
            }
        )
        # Without its start and end times: running the same evaluation again under the same
        # key is the same run, whenever it ran.
        digest = run.content_sha256(ignoring=("started_at", "completed_at"))
        return run.model_copy(update={"source_sha256": digest})

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            status = "success"
        elif isinstance(exc, Exception):
            status = "error"
        else:  # asyncio.CancelledError, KeyboardInterrupt, SystemExit
            status = "cancelled"
        try:
            self.recorded = await self._ledger.record_run(
                self.run(status, exc),
                as_results=self._head.agent_type is not None,
                scorer=self.scorer,
            )
        except BaseException as failure:
            if exc is None:
                raise
            # The block's own exception is the one that matters; say what else went wrong.
            exc.add_note(f"evalledger: the run {self.external_id!r} was not recorded: {failure!r}")


class RunSessions:
    """``start_run``, on the ``Ledger`` and the ``Client`` alike (both have ``record_run``)."""

    def start_run(self, task: str, **fields: Unpack[RunFields]) -> RunSession:
        """A run recorded from this block of code: ``async with ledger.start_run("custody",
        agent="guardian") as run: await run.record("t1", passed=True, score=90)``. Each
        sample is also a result of ``agent`` (when given); the run, its samples and the
        results are written in one transaction when the block ends, with status ``success``,
        ``error`` (the block raised) or ``cancelled``. See :mod:`evalledger.runs.session`."""
        return RunSession(cast(_Recording, self), task, fields)


class SyncRunSession:
    """:class:`RunSession` for blocking code (``with client.start_run(...) as run:``)."""

    def __init__(
        self, call: Callable[[Coroutine[Any, Any, Any]], Any], session: RunSession
    ) -> None:
        self._call = call
        self._session = session

    @property
    def recorded(self) -> RunRecorded | None:
        return self._session.recorded

    @property
    def external_id(self) -> str:
        return self._session.external_id

    @property
    def samples(self) -> int:
        return self._session.samples

    def record(
        self, sample_id: str, *, passed: bool, score: float, **fields: Unpack[SampleFields]
    ) -> None:
        """Add one sample (and result); see :meth:`RunSession.record`."""
        self._call(self._session.record(sample_id, passed=passed, score=score, **fields))

    def __enter__(self) -> Self:
        self._call(self._session.__aenter__())
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._call(self._session.__aexit__(*exc_info))
