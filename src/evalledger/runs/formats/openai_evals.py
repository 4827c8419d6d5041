"""OpenAI evals (the open-source ``oaieval``) JSONL record logs.

A log is one run: a ``spec`` line first, a ``final_report`` line (written when the run
finished, before or after the events), and event lines (``sampling``, ``match``,
``metrics``, ``error``, ...) naming their ``sample_id``. A sample is the events of one
``sample_id``; it is complete when its ``match`` event arrives (``sampling`` is recorded
before it), so the reader keeps only the samples still open, which threaded runs interleave.
Samples that never get a ``match`` (model-graded evals record ``metrics``) are emitted when
the file ends, or oldest first once :data:`MAX_OPEN` are open.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalledger.runs.formats.base import (
    OPENAI_EVALS,
    LogFormatError,
    LogHeader,
    Metric,
    RunHeader,
    Sample,
    SampleScore,
    Scorer,
    Timing,
    TokenUsage,
    Where,
    guard_header,
    guard_samples,
    optional_float,
    optional_int,
    source_file,
)

#: Samples held open at once before the oldest is emitted without waiting for its match.
MAX_OPEN = 10_000
#: How many emitted sample ids are remembered, to number a repeated sample's epochs (an eval
#: that records several matches for one sample records them close together).
_RECENT = 256
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


class OpenAIEvalsFormat:
    """OpenAI evals ``--record_path`` JSONL logs."""

    name = OPENAI_EVALS

    def detect(self, path: Path) -> bool:
        try:
            with path.open("rb") as fh:
                first = fh.readline(1 << 20)
        except OSError:
            return False
        if not first.lstrip().startswith(b'{"spec"'):
            return False
        try:
            return isinstance(json.loads(first).get("spec"), dict)
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            return False

    @guard_header
    def read_header(self, path: Path) -> LogHeader:
        where = Where(path)
        source = source_file(path)
        spec: Mapping[str, Any] | None = None
        report: Mapping[str, Any] | None = None
        for number, line in _raw_lines(path):
            head = line.lstrip()[:20]
            if head.startswith(b'{"spec"') or head.startswith(b'{"final_report"'):
                record = _parse(path, number, line)
                if "spec" in record:
                    spec = where.mapping(record["spec"], "spec")
                else:
                    report = where.mapping(record["final_report"], "final_report")
            elif spec is None:
                raise where.error(f"line {number}: the first line must be the run's spec")
        if spec is None:
            raise where.error("not an OpenAI evals log (no spec line)")
        return LogHeader(
            format=OPENAI_EVALS,
            schema_version=None,
            source=source,
            runs=(_run_header(where, spec, report),),
        )

    @guard_samples
    def iter_samples(self, path: Path) -> Iterator[Sample]:
        run_key: str | None = None
        open_samples: OrderedDict[str, _Open] = OrderedDict()
        recent: OrderedDict[str, int] = OrderedDict()
        for number, line in _raw_lines(path):
            record = _parse(path, number, line)
            if "spec" in record:
                run_key = str(Where(path).mapping(record["spec"], "spec").get("run_id"))
                continue
            if "final_report" in record or "sample_id" not in record:
                continue
            if run_key is None:
                raise LogFormatError(path, f"line {number}: an event before the spec line")
            sample_id = str(record["sample_id"])
            pending = open_samples.get(sample_id)
            if pending is None:
                pending = open_samples[sample_id] = _Open(sample_id, number)
            pending.add(path, number, record)
            if record.get("type") == "match":
                yield _emit(path, run_key, open_samples.pop(sample_id), recent)
            elif len(open_samples) > MAX_OPEN:
                _, oldest = open_samples.popitem(last=False)
                yield _emit(path, run_key, oldest, recent)
        while open_samples and run_key is not None:
            _, oldest = open_samples.popitem(last=False)
            yield _emit(path, run_key, oldest, recent)


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        with path.open("rb") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    yield number, line
    except FileNotFoundError:
        raise LogFormatError(path, "no such file") from None


def _parse(path: Path, number: int, line: bytes) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        problem = "is not valid JSON" if line.endswith(b"\n") else "is truncated"
        raise LogFormatError(path, f"line {number} {problem}") from None
    if not isinstance(record, dict):
        raise LogFormatError(path, f"line {number} is not a JSON object")
    return record


def _run_header(
    where: Where, spec: Mapping[str, Any], report: Mapping[str, Any] | None
) -> RunHeader:
    run_id = where.text(spec.get("run_id"), "spec.run_id")
    eval_name = where.text(spec.get("eval_name"), "spec.eval_name")
    run_config = where.optional_mapping(spec.get("run_config"), "spec.run_config")
    fns = spec.get("completion_fns") or run_config.get("completion_fns") or []
    metrics = tuple(
        Metric(key=str(k), name=str(k), value=optional_float(v))
        for k, v in (report or {}).items()
        if not str(k).startswith("usage_") and optional_float(v) is not None
    )
    usage = {k: (report or {}).get(f"usage_{k}") for k in _USAGE_KEYS}
    return RunHeader(
        key=run_id,
        harness=OPENAI_EVALS,
        harness_version=None,
        identity=f"{OPENAI_EVALS}:{run_id}",
        run_id=run_id,
        task=str(spec.get("base_eval") or eval_name),
        task_version=eval_name,
        dataset={k: spec[k] for k in ("split",) if spec.get(k)}
        | {"args": (run_config.get("eval_spec") or {}).get("args")},
        model=",".join(str(f) for f in fns) or None,
        model_args={},
        generate_config={},
        solver=run_config.get("eval_spec"),
        scorers=(Scorer(name="match", metrics=metrics),),
        status="success" if report is not None else "started",
        started_at=_text(spec.get("created_at")),
        completed_at=None,
        metadata={k: spec[k] for k in ("created_by",) if spec.get(k)},
        usage=TokenUsage(
            input_tokens=optional_int(usage["prompt_tokens"]),
            output_tokens=optional_int(usage["completion_tokens"]),
            total_tokens=optional_int(usage["total_tokens"]),
            raw={f"usage_{k}": v for k, v in usage.items() if v is not None},
        )
        if any(v is not None for v in usage.values())
        else None,
        extra={"run_config": run_config, **({"final_report": report} if report else {})},
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass
class _Open:
    """The events of one sample seen so far."""

    sample_id: str
    line: int
    events: dict[str, list[Any]] = field(default_factory=dict)
    first_at: str | None = None
    last_at: str | None = None

    def add(self, path: Path, number: int, record: Mapping[str, Any]) -> None:
        kind = record.get("type")
        if not isinstance(kind, str):
            raise LogFormatError(path, f"line {number}: an event without a type")
        self.events.setdefault(kind, []).append(record.get("data"))
        at = record.get("created_at")
        if isinstance(at, str):
            self.first_at = self.first_at or at
            self.last_at = at


def _emit(path: Path, run_key: str, sample: _Open, recent: OrderedDict[str, int]) -> Sample:
    epoch = recent.pop(sample.sample_id, 0) + 1
    recent[sample.sample_id] = epoch
    if len(recent) > _RECENT:
        recent.popitem(last=False)
    where = Where(path, f"{sample.sample_id} (line {sample.line})")
    scores: dict[str, SampleScore] = {}
    matches = sample.events.get("match") or []
    target = output = None
    if matches:
        match = where.mapping(matches[-1], "match data")
        correct = match.get("correct")
        if not isinstance(correct, bool):
            raise where.error(f"match.correct must be true or false, got {correct!r}")
        picked = match.get("picked")
        scores["match"] = SampleScore(
            value=correct,
            value_float=1.0 if correct else 0.0,
            answer=None if picked is None else str(picked),
            metadata={"options": match["options"]} if "options" in match else None,
        )
        target = match.get("expected")
        output = match.get("sampled")
    for data in sample.events.get("metrics") or []:
        for key, value in where.optional_mapping(data, "metrics data").items():
            if optional_float(value) is not None:
                scores[str(key)] = SampleScore(value=value, value_float=optional_float(value))
    samplings = [where.mapping(d, "sampling data") for d in sample.events.get("sampling") or []]
    if output is None and samplings:
        output = samplings[-1].get("sampled")
    usage = _usage([s.get("usage") for s in samplings])
    errors = [
        str(e.get("message") or e) if isinstance(e, Mapping) else str(e)
        for e in sample.events.get("error") or []
    ]
    return Sample(
        run_key=run_key,
        sample_id=sample.sample_id,
        epoch=epoch,
        input=samplings[0].get("prompt") if samplings else None,
        target=target,
        output=output if isinstance(output, str) else None,
        response=dict(sample.events),
        scores=scores,
        usage=usage,
        timing=Timing(started_at=sample.first_at, completed_at=sample.last_at),
        error="; ".join(errors) or None,
    )


def _usage(found: list[Any]) -> TokenUsage | None:
    usages = [u for u in found if isinstance(u, Mapping)]
    if not usages:
        return None
    totals = {k: sum(optional_int(u.get(k)) or 0 for u in usages) for k in _USAGE_KEYS}
    return TokenUsage(
        input_tokens=totals["prompt_tokens"],
        output_tokens=totals["completion_tokens"],
        total_tokens=totals["total_tokens"],
        raw=totals,
    )
