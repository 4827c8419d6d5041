"""From a harness's log (read by :mod:`evalledger.runs.formats`) to the runs domain's input.

Pure mapping, no database: each :class:`~evalledger.runs.formats.RunHeader` becomes a
:class:`~evalledger.runs.schemas.RunIn` (without samples), each
:class:`~evalledger.runs.formats.Sample` a :class:`~evalledger.runs.schemas.SampleIn`. What the
harness wrote that has no column is kept verbatim in ``metadata`` (``extra``). A reported metric
that is not a finite number (Inspect writes NaN for the stderr of one sample) is stored as null:
no backend can store NaN in JSON, and "unknown" is what it means.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalledger.errors import from_validation_error
from evalledger.runs.formats import LogHeader, RunHeader, Sample, read_header
from evalledger.runs.formats.base import Format, LogFormatError, finite_or_none, optional_float
from evalledger.runs.schemas import RunIn, SampleIn
from evalledger.schema.storable import printable_loc

_STATUSES = {"started", "success", "error", "cancelled"}


@dataclass(frozen=True)
class ImportOptions:
    """What the importing user adds to every run of a file."""

    tags: tuple[str, ...] = ()
    agent_type: str | None = None
    agent_version: str | None = None
    #: also record each sample as a result of ``agent_type`` (:mod:`evalledger.runs.as_results`)
    as_results: bool = False
    #: the scorer whose value is the result's score (default: the run's first)
    scorer: str | None = None
    #: a result passed when that value reaches this (default: the harness's verdict)
    pass_threshold: float | None = None


@dataclass(frozen=True)
class OpenedLog:
    """A log file with its format, header and the runs it holds, ready to stream samples."""

    path: Path
    format: Format
    header: LogHeader
    runs: dict[str, RunIn]  # by the file's run key
    options: ImportOptions = ImportOptions()

    def samples(self) -> Iterator[tuple[str, SampleIn]]:
        """``(run key, sample)`` in file order, one at a time. A sample that cannot be stored
        as it is (NUL, a lone surrogate, a negative time, ...) is refused naming the file, the
        sample and the field."""
        for sample in self.format.iter_samples(self.path):
            try:
                item = sample_in(sample)
            except ValidationError as exc:
                problem = from_validation_error(exc).message
                where = f"{printable_loc((sample.sample_id,))[0]} (epoch {sample.epoch})"
                raise LogFormatError(self.path, problem, sample=where) from None
            yield sample.run_key, item


def open_log(path: str | Path, options: ImportOptions = ImportOptions()) -> OpenedLog:
    """Detect ``path``'s format and read its header (a clear error naming the file if it is
    not a log evalledger can read)."""
    fmt, header = read_header(path)
    runs = {run.key: run_in(run, header, options) for run in header.runs}
    return OpenedLog(path=Path(path), format=fmt, header=header, runs=runs, options=options)


def _finite(value: Any) -> float | None:
    """A number the harness wrote, or None when it is none or not finite."""
    return finite_or_none(optional_float(value))


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _identity(text: str) -> str:
    """The harness's run identity, or (beyond 255 characters) a digest of it."""
    if len(text) <= 255:
        return text
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()}"


def scorer_key(name: str, reducer: str | None) -> str:
    """A reported scorer's name: Inspect reports one per epoch reducer (``match:max``)."""
    return name if reducer in (None, "mean") else f"{name}:{reducer}"


#: JSON text of a value, or ValueError for NaN/Infinity (the C encoder: no per-call set-up).
_json_text = json.JSONEncoder(allow_nan=False, ensure_ascii=False, check_circular=False).encode


def _plain(value: Any) -> Any:
    """Frozen mappings and tuples as JSON-able dicts and lists, non-finite numbers as None.

    A dict or list that already encodes as JSON (what a reader parsed from the file, almost
    always) is returned as it is: one pass of the C encoder instead of a copy in Python,
    about a fifth of the import's time on an Inspect log."""
    kind = type(value)
    if kind is dict or kind is list:
        try:
            _json_text(value)
        except (ValueError, TypeError, RecursionError):
            pass  # NaN, a frozen mapping, ...: the copy below
        else:
            return value
    return _plain_copy(value)


def _plain_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_copy(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def content_sha256(header: LogHeader) -> str:
    """What identifies the content a run was read from: the log's SHA-256, or, for a log
    that reads files beside it (lm-eval's samples), the SHA-256 of all their hashes. So the
    same results file imported first without and then with its samples is other content
    (a 409), not "already imported"."""
    if not header.companions:
        return header.source.sha256
    names = [header.source.sha256, *(c.sha256 for c in header.companions)]
    return hashlib.sha256(" ".join(names).encode()).hexdigest()


def run_in(run: RunHeader, header: LogHeader, options: ImportOptions) -> RunIn:
    metrics = {
        scorer_key(s.name, s.reducer): {m.key: _finite(m.value) for m in s.metrics}
        for s in run.scorers
    }
    extra = {"extra": _plain(run.extra)} if run.extra else {}
    if run.run_id:
        extra["harness_run_id"] = run.run_id
    if run.usage is not None:
        extra["usage"] = _plain(
            run.usage.raw
            or {
                "input_tokens": run.usage.input_tokens,
                "output_tokens": run.usage.output_tokens,
            }
        )
    if header.companions:
        extra["companion_files"] = [{"name": c.name, "sha256": c.sha256} for c in header.companions]
    return RunIn.model_validate(
        {
            "harness": run.harness,
            "harness_version": (run.harness_version or None) and run.harness_version[:100],
            "external_id": _identity(run.identity),
            "task": run.task[:255] or "unnamed",
            "task_version": None if run.task_version is None else str(run.task_version)[:100],
            "dataset_name": (run.dataset.get("name") or None) and str(run.dataset["name"])[:255],
            "dataset_hash": (run.dataset.get("hash") or None) and str(run.dataset["hash"])[:128],
            "model": (run.model or None) and run.model[:255],
            "model_args": _plain(run.model_args),
            "generation_config": _plain(run.generate_config),
            "solver": _plain(run.solver),
            "scorers": [
                {"name": s.name, "reducer": s.reducer, "params": _plain(s.params)}
                for s in run.scorers
            ],
            "git_revision": (run.revision or {}).get("commit"),
            "tags": list(dict.fromkeys([*run.tags, *options.tags])),
            "metadata": {**_plain(run.metadata), **extra},
            "status": run.status if run.status in _STATUSES else "success",
            "started_at": _when(run.started_at),
            "completed_at": _when(run.completed_at),
            "source_file": header.source.name[:1000],
            "source_sha256": content_sha256(header),
            "agent_type": options.agent_type,
            "agent_version": options.agent_version,
            "metrics": metrics,
        }
    )


def sample_in(sample: Sample) -> SampleIn:
    usage = sample.usage
    metadata = _plain(sample.metadata)
    if sample.extra:
        metadata = {**metadata, "extra": _plain(sample.extra)}
    return SampleIn.model_validate(
        {
            "sample_id": str(sample.sample_id)[:255],
            "epoch": sample.epoch,
            "input": _plain(sample.input),
            "target": _plain(sample.target),
            "output": sample.output,
            "messages": _plain(sample.response),
            "scores": {
                name: {
                    "value": _finite(score.value_float),
                    "raw": _plain(score.value),
                    "answer": score.answer,
                    "explanation": score.explanation,
                    "metadata": _plain(score.metadata or {}),
                }
                for name, score in sample.scores.items()
            },
            "input_tokens": usage.input_tokens if usage else None,
            "output_tokens": usage.output_tokens if usage else None,
            "total_time": sample.timing.total_seconds if sample.timing else None,
            "error": sample.error,
            "metadata": metadata,
        }
    )
