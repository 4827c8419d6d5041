"""The one shape every harness log is read into, and the interface each format implements.

A log file holds one or more *runs* (an Inspect log one, a promptfoo output one per provider
and prompt, an lm-eval results file one per task), each with the scorers and metrics the
harness reported, and a stream of *samples* that name their run by :attr:`Sample.run_key`.
Readers keep what the harness wrote verbatim where evalledger has no column for it
(``metadata``, ``extra``, ``response``), so nothing a user may query later is lost; what they
drop is listed in ``docs/runs-formats.md``.

Everything here is plain data (frozen dataclasses): the runs domain validates nothing twice,
and tests compare values directly.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from evalledger.errors import ValidationFailed

#: Harness names as stored in a run's ``harness``.
INSPECT, LM_EVAL, PROMPTFOO, OPENAI_EVALS = "inspect_ai", "lm_eval", "promptfoo", "openai_evals"


class LogFormatError(ValidationFailed):
    """A log file that cannot be read: it names the file and, when one is at fault, the sample.

    A :class:`~evalledger.errors.ValidationFailed`, so the API answers 422 and the CLI exits
    with code 1, whichever importer raised it.
    """

    def __init__(self, path: str | Path, problem: str, *, sample: str | None = None) -> None:
        self.path = str(path)
        self.sample = sample
        where = f"{self.path}: sample {sample}" if sample is not None else self.path
        super().__init__(f"{where}: {problem}", field="samples" if sample is not None else "file")


@dataclass(frozen=True)
class SourceFile:
    """A file read for a run, identified by its content (``sha256``) as well as its name."""

    path: Path
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Metric:
    """One metric as the harness reported it (``key`` is its key in the harness's own map,
    e.g. Inspect's ``stderr2`` for a second stderr; ``name`` the metric's name)."""

    key: str
    name: str
    value: float | None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scorer:
    """A scorer of a run with the metrics the harness computed for it.

    ``name`` is the key under which samples carry this scorer's score
    (:attr:`Sample.scores`). Inspect reports a scorer once per epoch reducer (``reducer``);
    lm-eval's "scorer" is a metric under a filter (``acc,none``).
    """

    name: str
    metrics: tuple[Metric, ...]
    reducer: str | None = None
    scored_samples: int | None = None
    unscored_samples: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def metric(self, name: str) -> Metric | None:
        """The first metric called ``name`` (by key, then by name), if any."""
        for m in self.metrics:
            if m.key == name:
                return m
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True)
class TokenUsage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    #: The harness's usage object verbatim (cache reads, reasoning tokens, per model, ...).
    raw: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Timing:
    started_at: str | None = None
    completed_at: str | None = None
    total_seconds: float | None = None
    working_seconds: float | None = None


@dataclass(frozen=True)
class SampleScore:
    """One scorer's verdict on one sample. ``value`` is kept as the harness wrote it (a letter
    grade, a bool, a number, a list or a map); ``value_float`` is the number the harness's own
    metrics use (Inspect's ``value_to_float``), None when the harness has none for it."""

    value: Any
    value_float: float | None
    answer: str | None = None
    explanation: str | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Sample:
    run_key: str
    sample_id: str
    epoch: int
    input: Any
    target: Any
    #: The output text (the completion), when the harness has one.
    output: str | None
    #: The fuller record of the answer: chat messages, a response object, lm-eval's resps.
    response: Any
    scores: Mapping[str, SampleScore]
    usage: TokenUsage | None = None
    timing: Timing | None = None
    error: str | None = None
    #: The harness's per-sample metadata verbatim (Inspect clusters its stderr on it).
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Other per-sample fields kept verbatim (Inspect ``uuid``/``store``, lm-eval hashes, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunHeader:
    """Everything about a run but its samples."""

    #: Unique within the file; samples carry it as :attr:`Sample.run_key`.
    key: str
    harness: str
    harness_version: str | None
    #: A string no other run has: the harness's own ids (Inspect ``eval_id``, promptfoo
    #: ``evalId`` with provider and prompt, OpenAI ``run_id``) or, for lm-eval, which has no
    #: id, the results file name, its date and the task. With the file's SHA-256 it tells a
    #: re-import (same identity, same hash) from a conflict (same identity, other hash).
    identity: str
    run_id: str | None
    task: str
    task_version: str | None
    dataset: Mapping[str, Any]
    model: str | None
    model_args: Mapping[str, Any]
    generate_config: Mapping[str, Any]
    #: The solver plan (Inspect), the prompt (promptfoo), the eval class and args (OpenAI).
    solver: Any
    scorers: tuple[Scorer, ...]
    status: str
    started_at: str | None
    completed_at: str | None
    revision: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    #: Samples the harness says the run has (None when it does not say).
    declared_samples: int | None = None
    #: The harness's run-level token usage, when it reports one.
    usage: TokenUsage | None = None
    #: Other run-level fields kept verbatim (lm-eval ``configs``, Inspect ``stats``, ...).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def scorer(self, name: str, reducer: str | None = None) -> Scorer | None:
        """The scorer called ``name`` (with that ``reducer`` when given)."""
        for s in self.scorers:
            if s.name == name and (reducer is None or s.reducer == reducer):
                return s
        return None


@dataclass(frozen=True)
class LogHeader:
    """What :meth:`Format.read_header` returns: the file, its format, and its runs."""

    format: str
    schema_version: str | None
    source: SourceFile
    runs: tuple[RunHeader, ...]
    #: Other files the samples are read from (lm-eval's ``samples_<task>_<date>.jsonl``).
    companions: tuple[SourceFile, ...] = ()
    #: File-level facts kept verbatim that belong to no one run (promptfoo's ``stats``).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def run(self, key: str) -> RunHeader:
        """The run ``key`` (a :attr:`Sample.run_key`); KeyError if the file has no such run."""
        for r in self.runs:
            if r.key == key:
                return r
        raise KeyError(key)


class Format(Protocol):
    """One harness's log format. Implementations hold no state: one instance serves all files.

    ``iter_samples`` streams: it holds one sample (or, for an interleaved log, the few still
    open) in memory however large the file is, and raises :class:`LogFormatError` naming the
    file and sample at the first one that fails validation.
    """

    name: str

    def detect(self, path: Path) -> bool: ...

    def read_header(self, path: Path) -> LogHeader: ...

    def iter_samples(self, path: Path) -> Iterator[Sample]: ...


def source_file(path: Path) -> SourceFile:
    """``path`` with its size and SHA-256, read in 64 KiB chunks (flat memory)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 16):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise LogFormatError(path, "no such file") from None
    except IsADirectoryError:
        raise LogFormatError(path, "is a folder, not a log file") from None
    return SourceFile(path=path, name=path.name, size=size, sha256=digest.hexdigest())


# -- guards: a malformed file is bad input, never a crash ------------------------------------

#: What a reader's plain dict/list handling raises on a value of an unexpected shape.
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, IndexError, ValueError)


def _malformed(fmt: Any, path: Path, exc: Exception) -> LogFormatError:
    detail = " ".join(str(exc).split())[:200]
    return LogFormatError(path, f"malformed {fmt.name} log ({type(exc).__name__}: {detail})")


def guard_header(
    read: Callable[[Any, Path], LogHeader],
) -> Callable[[Any, Path], LogHeader]:
    """``read_header`` with any shape error of the file (a list where a map belongs, ...)
    reported as a :class:`LogFormatError` naming the file, not as a traceback."""

    @functools.wraps(read)
    def guarded(self: Any, path: Path) -> LogHeader:
        try:
            return read(self, path)
        except _SHAPE_ERRORS as exc:
            raise _malformed(self, path, exc) from exc

    return guarded


def guard_samples(
    read: Callable[[Any, Path], Iterator[Sample]],
) -> Callable[[Any, Path], Iterator[Sample]]:
    """``iter_samples`` with the same guard as :func:`guard_header`."""

    @functools.wraps(read)
    def guarded(self: Any, path: Path) -> Iterator[Sample]:
        try:
            yield from read(self, path)
        except _SHAPE_ERRORS as exc:
            raise _malformed(self, path, exc) from exc

    return guarded


# -- small validators shared by the readers -------------------------------------------------


class Where:
    """The file (and sample) a reader is looking at, to name in its errors."""

    def __init__(self, path: Path, sample: str | None = None) -> None:
        self.path = path
        self.sample = sample

    def error(self, problem: str) -> LogFormatError:
        return LogFormatError(self.path, problem, sample=self.sample)

    def mapping(self, value: Any, what: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(f"{what} must be an object, got {type_name(value)}")
        return value

    def optional_mapping(self, value: Any, what: str) -> Mapping[str, Any]:
        return {} if value is None else self.mapping(value, what)

    def text(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(f"{what} must be a non-empty string, got {type_name(value)}")
        return value

    def optional_text(self, value: Any, what: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(f"{what} must be a string, got {type_name(value)}")
        return value

    def identifier(self, value: Any, what: str) -> str:
        """A sample id: Inspect allows a string or an integer."""
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise self.error(f"{what} must be a string or an integer, got {type_name(value)}")
        return str(value)

    def positive_int(self, value: Any, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(f"{what} must be a positive integer, got {value!r}")
        return value

    def number(self, value: Any, what: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"{what} must be a number, got {type_name(value)}")
        return float(value)


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def optional_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def optional_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
