"""Inspect AI logs: the ``.eval`` ZIP container (the default) and the ``.json`` document.

One log is one run (one task on one model). The header comes from ``header.json`` (or, for a
log still being written, ``_journal/start.json``) of a ``.eval``, or from the top-level keys
of a ``.json`` read without its ``samples``; samples come one member (``samples/*.json``) or
one array item at a time. Every scorer of ``results.scores`` is kept, once per epoch reducer,
with its metrics as Inspect computed them; every epoch of a sample is its own
:class:`~.base.Sample`. Letter grades map to numbers as Inspect's ``value_to_float`` does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec

from evalledger.runs.formats import _json, _zip
from evalledger.runs.formats.base import (
    INSPECT,
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

#: Log schema versions this reader knows (``EvalLog.version``).
KNOWN_VERSIONS = frozenset({1, 2})
_ATTACHMENT = "attachment://"


class InspectFormat:
    """Inspect AI ``.eval`` and ``.json`` logs."""

    name = INSPECT

    def detect(self, path: Path) -> bool:
        if path.suffix == ".eval":
            return _zip.is_zip(path)
        if path.suffix == ".json":
            keys = _json.first_keys(path, 3)
            return keys[:1] == ["version"] and "eval" in keys[1:]
        return False

    @guard_header
    def read_header(self, path: Path) -> LogHeader:
        source = source_file(path)
        log = _read_eval_header(path) if _zip.is_zip(path) else _read_json_header(path)
        where = Where(path)
        version = log.get("version")
        if version not in KNOWN_VERSIONS:
            raise where.error(
                f"Inspect log schema version {version!r} is not one this importer reads "
                f"({', '.join(map(str, sorted(KNOWN_VERSIONS)))})"
            )
        run = _run_header(where, log)
        return LogHeader(format=INSPECT, schema_version=str(version), source=source, runs=(run,))

    @guard_samples
    def iter_samples(self, path: Path) -> Iterator[Sample]:
        where = Where(path)
        if _zip.is_zip(path):
            run_key = where.text(
                where.mapping(_read_eval_header(path).get("eval"), "'eval'").get("eval_id"),
                "eval.eval_id",
            )
            yield from _iter_eval_samples(path, run_key)
        else:
            run_key = where.text(_json.first_value(path, "eval.eval_id"), "eval.eval_id")
            for raw in _json.iter_items(path, "samples.item"):
                yield sample_from(where, raw, run_key)


# -- containers ------------------------------------------------------------------------------


def _member_json(path: Path, fh: Any, member: _zip.Member) -> Any:
    return _parsed(path, member, _zip.read_member(path, fh, member))


def _parsed(path: Path, member: _zip.Member, data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LogFormatError(path, f"ZIP member {member.name} is not valid JSON ({exc})") from None


class _SampleFields(msgspec.Struct):
    """The fields of an ``EvalSample`` that :func:`sample_from` reads (absent: ``UNSET``).

    Everything else is skipped without being built, above all the transcript (``events``,
    ``events_data``): about 85% of a sample's JSON, which the import drops. Decoding only
    these is about 6x faster than ``json.loads`` of the whole member (13 against 86 µs for
    a sample of Inspect's own ``mockllm`` run), and the decode was most of an import's CPU.
    """

    id: Any = msgspec.UNSET
    epoch: Any = msgspec.UNSET
    input: Any = msgspec.UNSET
    target: Any = msgspec.UNSET
    messages: Any = msgspec.UNSET
    output: Any = msgspec.UNSET
    scores: Any = msgspec.UNSET
    metadata: Any = msgspec.UNSET
    attachments: Any = msgspec.UNSET
    model_usage: Any = msgspec.UNSET
    error: Any = msgspec.UNSET
    started_at: Any = msgspec.UNSET
    completed_at: Any = msgspec.UNSET
    total_time: Any = msgspec.UNSET
    working_time: Any = msgspec.UNSET
    uuid: Any = msgspec.UNSET
    store: Any = msgspec.UNSET
    limit: Any = msgspec.UNSET
    error_retries: Any = msgspec.UNSET
    choices: Any = msgspec.UNSET


_SAMPLE_DECODER = msgspec.json.Decoder(_SampleFields)


def _sample_json(path: Path, fh: Any, member: _zip.Member) -> Any:
    """A sample member's fields as a dict, as ``json.loads`` would give them.

    What msgspec refuses, ``json.loads`` reads (and its answer is the one kept): the
    ``NaN`` and ``Infinity`` that Python writes, lone surrogates, numbers beyond a double,
    a sample that is not an object, and broken JSON, whose error message is json's.
    """
    data = _zip.read_member(path, fh, member)
    try:
        fields = _SAMPLE_DECODER.decode(data)
    except msgspec.MsgspecError:
        return _parsed(path, member, data)
    return {
        name: value
        for name in _SampleFields.__struct_fields__
        if (value := getattr(fields, name)) is not msgspec.UNSET
    }


def _read_eval_header(path: Path) -> dict[str, Any]:
    header = start = None
    for member in _zip.iter_members(path):
        if member.name == "header.json":
            header = member
        elif member.name == "_journal/start.json":
            start = member
    chosen = header or start
    if chosen is None:
        raise LogFormatError(path, "not an Inspect log (no header.json or _journal/start.json)")
    with path.open("rb") as fh:
        log = _member_json(path, fh, chosen)
    if not isinstance(log, dict):
        raise LogFormatError(path, f"{chosen.name} must be an object")
    if header is None:
        log.setdefault("status", "started")  # the journal of a log still being written
    return log


def _read_json_header(path: Path) -> dict[str, Any]:
    log = _json.read_skipping(path, {"samples", "reductions"})
    if "eval" not in log:
        raise LogFormatError(path, "not an Inspect log (no 'eval' key)")
    return log


def _iter_eval_samples(path: Path, run_key: str) -> Iterator[Sample]:
    where = Where(path)
    with path.open("rb") as fh:
        for member in _zip.iter_members(path):
            if member.name.startswith("samples/") and member.name.endswith(".json"):
                yield sample_from(where, _sample_json(path, fh, member), run_key)


# -- header ----------------------------------------------------------------------------------


def _run_header(where: Where, log: Mapping[str, Any]) -> RunHeader:
    spec = where.mapping(log.get("eval"), "'eval'")
    eval_id = where.text(spec.get("eval_id"), "eval.eval_id")
    task = where.text(spec.get("task"), "eval.task")
    results = where.optional_mapping(log.get("results"), "'results'")
    stats = where.optional_mapping(log.get("stats"), "'stats'")
    dataset = dict(where.optional_mapping(spec.get("dataset"), "eval.dataset"))
    dataset.pop("sample_ids", None)  # as long as the dataset; the samples carry their ids
    config = where.optional_mapping(spec.get("config"), "eval.config")
    packages = where.optional_mapping(spec.get("packages"), "eval.packages")
    usage = _sum_usage(where.optional_mapping(stats.get("model_usage"), "stats.model_usage"))
    task_version = spec.get("task_version")
    declared = optional_int(results.get("total_samples"))
    if declared is None:
        epochs = optional_int(config.get("epochs")) or 1
        count = optional_int(dataset.get("samples"))
        declared = count * epochs if count is not None else None
    keep_spec = (
        "eval_set_id",
        "task_id",
        "task_file",
        "task_registry_name",
        "task_display_name",
        "task_attribs",
        "task_args",
        "solver",
        "solver_args",
        "model_base_url",
        "model_roles",
        "config",
        "packages",
        "scorers",
        "created",
    )
    extra: dict[str, Any] = {f"eval.{k}": spec[k] for k in keep_spec if k in spec}
    for key in ("stats", "error", "invalidated", "log_updates"):
        if log.get(key) is not None:
            extra[key] = log[key]
    if results.get("headline") is not None:
        extra["results.headline"] = results["headline"]
    return RunHeader(
        key=eval_id,
        harness=INSPECT,
        harness_version=_text_or_none(packages.get("inspect_ai")),
        identity=f"{INSPECT}:{eval_id}",
        run_id=_text_or_none(spec.get("run_id")),
        task=task,
        task_version=None if task_version is None else str(task_version),
        dataset=dataset,
        model=_text_or_none(spec.get("model")),
        model_args=where.optional_mapping(spec.get("model_args"), "eval.model_args"),
        generate_config=where.optional_mapping(
            spec.get("model_generate_config"), "eval.model_generate_config"
        ),
        solver=log.get("plan"),
        scorers=tuple(_scorers(where, results.get("scores"))),
        status=_text_or_none(log.get("status")) or "started",
        started_at=_text_or_none(stats.get("started_at")) or _text_or_none(spec.get("created")),
        completed_at=_text_or_none(stats.get("completed_at")),
        revision=where.optional_mapping(spec.get("revision"), "eval.revision") or None,
        tags=tuple(str(t) for t in (log.get("tags") or spec.get("tags") or ())),
        metadata={**(spec.get("metadata") or {}), **(log.get("metadata") or {})},
        declared_samples=declared,
        usage=usage,
        extra=extra,
    )


def _scorers(where: Where, scores: Any) -> Iterator[Scorer]:
    if scores is None:
        return
    if not isinstance(scores, list):
        raise where.error("results.scores must be a list")
    for i, raw in enumerate(scores):
        entry = where.mapping(raw, f"results.scores[{i}]")
        metrics = where.optional_mapping(entry.get("metrics"), f"results.scores[{i}].metrics")
        yield Scorer(
            name=where.text(entry.get("name"), f"results.scores[{i}].name"),
            reducer=_text_or_none(entry.get("reducer")),
            scored_samples=optional_int(entry.get("scored_samples")),
            unscored_samples=optional_int(entry.get("unscored_samples")),
            params=entry.get("params") or {},
            metadata={
                k: entry[k] for k in ("scorer", "metadata") if entry.get(k) not in (None, {})
            },
            metrics=tuple(
                Metric(
                    key=key,
                    name=str(m.get("name") or key),
                    value=optional_float(m.get("value")),
                    params=m.get("params") or {},
                )
                for key, m in metrics.items()
                if isinstance(m, Mapping)
            ),
        )


def _sum_usage(per_model: Mapping[str, Any]) -> TokenUsage | None:
    if not per_model:
        return None
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for usage in per_model.values():
        if isinstance(usage, Mapping):
            for key in totals:
                totals[key] += optional_int(usage.get(key)) or 0
    return TokenUsage(raw=dict(per_model), **totals)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# -- samples ---------------------------------------------------------------------------------


def value_to_float(value: Any) -> float | None:
    """Inspect's ``value_to_float``: C 1, P 0.5, I and N 0, numbers as they are, "yes"/"true"
    1 and "no"/"false" 0, numeric strings parsed. None where Inspect has no number (a list
    or a map; Inspect then warns and uses 0) and for NaN, Inspect's "not scored"."""
    if isinstance(value, str):
        grades = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}
        if value in grades:
            return grades[value]
        lowered = value.lower()
        if lowered in ("yes", "true"):
            return 1.0
        if lowered in ("no", "false"):
            return 0.0
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, bool | int | float):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def _resolve(value: Any, attachments: Mapping[str, Any]) -> Any:
    """``value`` with Inspect's ``attachment://<hash>`` references replaced by their text."""
    if not attachments:
        return value
    if isinstance(value, str):
        if value.startswith(_ATTACHMENT):
            return attachments.get(value[len(_ATTACHMENT) :], value)
        return value
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    return value


def sample_from(where_file: Where, raw: Any, run_key: str) -> Sample:
    """One ``EvalSample`` (already parsed JSON) as a :class:`~.base.Sample`."""
    base = Where(where_file.path)
    sample = base.mapping(raw, "a sample")
    sample_id = base.identifier(sample.get("id"), "sample id")
    where = Where(where_file.path, f"{sample_id}")
    epoch = where.positive_int(sample.get("epoch"), "epoch")
    where.sample = f"{sample_id} (epoch {epoch})"
    attachments = where.optional_mapping(sample.get("attachments"), "attachments")
    output = where.optional_mapping(sample.get("output"), "output")
    scores_raw = where.optional_mapping(sample.get("scores"), "scores")
    scores: dict[str, SampleScore] = {}
    for name, score in scores_raw.items():
        s = where.mapping(score, f"scores.{name}")
        if "value" not in s:
            raise where.error(f"scores.{name} has no value")
        scores[name] = SampleScore(
            value=s["value"],
            value_float=value_to_float(s["value"]),
            answer=_as_text(where, s.get("answer"), f"scores.{name}.answer"),
            explanation=_as_text(where, s.get("explanation"), f"scores.{name}.explanation"),
            metadata=where.optional_mapping(s.get("metadata"), f"scores.{name}.metadata") or None,
        )
    error = sample.get("error")
    if isinstance(error, Mapping):
        error = error.get("message")
    usage = _sum_usage(where.optional_mapping(sample.get("model_usage"), "model_usage"))
    if usage is None and isinstance(output.get("usage"), Mapping):
        u = output["usage"]
        usage = TokenUsage(
            input_tokens=optional_int(u.get("input_tokens")),
            output_tokens=optional_int(u.get("output_tokens")),
            total_tokens=optional_int(u.get("total_tokens")),
            raw=dict(u),
        )
    completion = output.get("completion")
    extra = {
        k: sample[k]
        for k in ("uuid", "store", "limit", "error_retries", "choices")
        if sample.get(k) not in (None, {}, [])
    }
    return Sample(
        run_key=run_key,
        sample_id=sample_id,
        epoch=epoch,
        input=_resolve(sample.get("input"), attachments),
        target=sample.get("target"),
        output=_resolve(completion, attachments) if isinstance(completion, str) else None,
        response={
            "messages": _resolve(sample.get("messages") or [], attachments),
            "output": _resolve(dict(output), attachments),
        },
        scores=scores,
        usage=usage,
        timing=Timing(
            started_at=_text_or_none(sample.get("started_at")),
            completed_at=_text_or_none(sample.get("completed_at")),
            total_seconds=optional_float(sample.get("total_time")),
            working_seconds=optional_float(sample.get("working_time")),
        ),
        error=str(error) if error else None,
        metadata=where.optional_mapping(sample.get("metadata"), "metadata"),
        extra=extra,
    )


def _as_text(where: Where, value: Any, what: str) -> str | None:
    """Inspect's ``answer`` and ``explanation`` are strings; anything else is kept as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | bool | list | dict):
        return json.dumps(value)
    raise where.error(f"{what} must be a string")
