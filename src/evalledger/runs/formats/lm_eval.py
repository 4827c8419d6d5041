"""lm-evaluation-harness 0.4: ``results_<date>.json`` with its ``samples_<task>_<date>.jsonl``.

The results file is the log: it is small (metrics and configs) and read whole; each task in it
is one run, and its samples are streamed line by line from the samples file of the same task
and date beside it (written by ``--log_samples``; without them a run has metrics and no
samples). lm-eval has no run id, so a run is identified by the results file's name, its
``date`` and the task.

A "scorer" here is a metric under a filter, named as lm-eval names its result keys
(``acc,none``, ``exact_match,strict-match``); its metrics are the value and the ``_stderr``
twin. A task with several filters writes one line per document *per filter*, all lines of
one filter first: the reader walks the file once per filter, in step, and joins the lines of
a document, so memory stays flat.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evalledger.runs.formats import _json
from evalledger.runs.formats.base import (
    LM_EVAL,
    LogFormatError,
    LogHeader,
    Metric,
    RunHeader,
    Sample,
    SampleScore,
    Scorer,
    SourceFile,
    Where,
    guard_header,
    guard_samples,
    optional_float,
    optional_int,
    source_file,
)

_RESULTS = re.compile(r"^results_(?P<date>.+)\.json$")
_SAMPLES = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d\d-\d\dT[\d\-.]+)\.jsonl$")
#: Keys of a task's results that are not metrics.
_NOT_METRICS = frozenset({"alias", "name", "sample_len", " "})
#: The result-file keys that tell lm-eval's results from another JSON document.
_MARKERS = frozenset({"configs", "versions", "group_subtasks", "groups", "n-shot"})


def is_samples_file(path: Path) -> bool:
    """Whether ``path`` is named like an lm-eval per-task samples file."""
    return _SAMPLES.match(path.name) is not None


class LmEvalFormat:
    """lm-evaluation-harness ``results_*.json`` (0.4.x) with its samples files."""

    name = LM_EVAL

    def detect(self, path: Path) -> bool:
        if path.suffix != ".json":
            return False
        keys = _json.first_keys(path, 3)
        return bool(keys) and keys[0] == "results" and bool(_MARKERS & set(keys[1:]))

    @guard_header
    def read_header(self, path: Path) -> LogHeader:
        where = Where(path)
        source = source_file(path)
        doc = _load(path)
        version = doc.get("lm_eval_version")
        if version is not None and not str(version).startswith("0.4."):
            raise where.error(
                f"lm-evaluation-harness results version {version!r} is not one this importer "
                "reads (0.4.x)"
            )
        results = where.mapping(doc.get("results"), "'results'")
        configs = where.mapping(doc.get("configs"), "'configs'")
        runs: list[RunHeader] = []
        companions: list[SourceFile] = []
        for task in results:
            if task not in configs:
                continue  # a group: its metrics aggregate its tasks' and have no samples
            runs.append(_run_header(where, doc, task))
            samples = samples_path(path, task)
            if samples is not None:
                companions.append(source_file(samples))
        if not runs:
            raise where.error("an lm-eval results file without any task")
        return LogHeader(
            format=LM_EVAL,
            schema_version=None if version is None else str(version),
            source=source,
            runs=tuple(runs),
            companions=tuple(companions),
        )

    @guard_samples
    def iter_samples(self, path: Path) -> Iterator[Sample]:
        doc = _load(path)
        where = Where(path)
        results = where.mapping(doc.get("results"), "'results'")
        configs = where.mapping(doc.get("configs"), "'configs'")
        for task, metrics in results.items():
            samples = samples_path(path, task) if task in configs else None
            if samples is not None:
                yield from _task_samples(samples, task, _filters(where.mapping(metrics, task)))


def _load(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise LogFormatError(path, "the file ends early (truncated JSON)") from None
        raise LogFormatError(path, f"not valid JSON ({exc})") from None
    except UnicodeDecodeError:
        raise LogFormatError(path, "not a JSON log (not UTF-8 text)") from None
    if not isinstance(doc, dict) or "results" not in doc:
        raise LogFormatError(path, "not an lm-evaluation-harness results file")
    return doc


def samples_path(results: Path, task: str) -> Path | None:
    """The samples file of ``task`` beside the results file, if ``--log_samples`` wrote one."""
    match = _RESULTS.match(results.name)
    if match is None:
        return None
    candidate = results.with_name(f"samples_{task}_{match['date']}.jsonl")
    return candidate if candidate.is_file() else None


def _split_key(key: str) -> tuple[str, str] | None:
    metric, sep, filt = key.partition(",")
    return (metric, filt) if sep else None


def _filters(metrics: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for key in metrics:
        parts = _split_key(key)
        if parts and not parts[0].endswith("_stderr") and parts[1] not in found:
            found.append(parts[1])
    return found


def _run_header(where: Where, doc: Mapping[str, Any], task: str) -> RunHeader:
    metrics = where.mapping(doc["results"][task], f"results.{task}")
    config = where.mapping(doc["configs"][task], f"configs.{task}")
    run_config = where.optional_mapping(doc.get("config"), "'config'")
    higher = (doc.get("higher_is_better") or {}).get(task) or {}
    aggregations = {
        m.get("metric"): m.get("aggregation")
        for m in config.get("metric_list") or []
        if isinstance(m, Mapping)
    }
    scorers: list[Scorer] = []
    for key, value in metrics.items():
        parts = _split_key(key)
        if key in _NOT_METRICS or parts is None or parts[0].endswith("_stderr"):
            continue
        metric, filt = parts
        stderr = metrics.get(f"{metric}_stderr,{filt}")
        scorers.append(
            Scorer(
                name=key,
                metrics=(
                    Metric(key=metric, name=metric, value=optional_float(value)),
                    Metric(key=f"{metric}_stderr", name="stderr", value=optional_float(stderr)),
                ),
                params={
                    "metric": metric,
                    "filter": filt,
                    "aggregation": aggregations.get(metric),
                    "higher_is_better": higher.get(metric),
                },
            )
        )
    date = optional_float(doc.get("date"))
    started = datetime.fromtimestamp(date, UTC) if date is not None else None
    seconds = optional_float(_number(doc.get("total_evaluation_time_seconds")))
    completed = started + timedelta(seconds=seconds) if started and seconds is not None else None
    n_samples = (doc.get("n-samples") or {}).get(task) or {}
    dataset = {
        k: config[k]
        for k in ("dataset_path", "dataset_name", "dataset_kwargs", "test_split")
        if config.get(k) is not None
    }
    if (doc.get("task_hashes") or {}).get(task):
        dataset["task_hash"] = doc["task_hashes"][task]
    if n_samples:
        dataset["n-samples"] = n_samples
    version = (doc.get("versions") or {}).get(task)
    gen_kwargs = dict(run_config.get("gen_kwargs") or {})
    gen_kwargs.update(config.get("generation_kwargs") or {})
    model_args = run_config.get("model_args")
    revision = {k: doc[k] for k in ("git_hash", "upper_git_hash") if doc.get(k)}
    results_name = where.path.name
    stamp = "" if date is None else repr(date)
    return RunHeader(
        key=task,
        harness=LM_EVAL,
        harness_version=_text(doc.get("lm_eval_version")),
        identity=f"{LM_EVAL}:{results_name}:{stamp}:{task}",
        run_id=None,
        task=task,
        task_version=None if version is None else str(version),
        dataset=dataset,
        model=_text(doc.get("model_name")) or _text(run_config.get("model")),
        model_args=model_args if isinstance(model_args, Mapping) else _parse_args(model_args),
        generate_config=gen_kwargs,
        solver={
            k: config[k]
            for k in ("output_type", "doc_to_text", "doc_to_choice", "doc_to_target", "description")
            if config.get(k) not in (None, "")
        }
        | {"n-shot": (doc.get("n-shot") or {}).get(task)},
        scorers=tuple(scorers),
        status="success",
        started_at=started.isoformat() if started else None,
        completed_at=completed.isoformat() if completed else None,
        revision=revision or None,
        tags=tuple(str(t) for t in config.get("tag") or ()),
        metadata=config.get("metadata") or {},
        declared_samples=optional_int(n_samples.get("effective")),
        extra={
            "config": run_config,
            "task_config": config,
            "alias": metrics.get("alias"),
            **{
                k: doc[k]
                for k in (
                    "model_source",
                    "model_name_sanitized",
                    "system_instruction",
                    "chat_template",
                    "fewshot_as_multiturn",
                    "transformers_version",
                    "total_evaluation_time_seconds",
                )
                if doc.get(k) is not None
            },
        },
    )


def _number(value: Any) -> Any:
    """lm-eval writes ``total_evaluation_time_seconds`` as a string."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_args(value: Any) -> dict[str, Any]:
    """``pretrained=gpt2,dtype=float16`` (lm-eval's string form of model args) as a map."""
    if not isinstance(value, str) or not value:
        return {}
    parsed: dict[str, Any] = {}
    for part in value.split(","):
        key, sep, val = part.partition("=")
        parsed[key.strip()] = val.strip() if sep else True
    return parsed


# -- samples ---------------------------------------------------------------------------------


def _lines(path: Path, filt: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of ``path``, only those of filter ``filt`` when given."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                problem = "is not valid JSON" if line.endswith(b"\n") else "is truncated"
                raise LogFormatError(path, f"line {number} {problem}") from None
            if not isinstance(record, dict):
                raise LogFormatError(path, f"line {number} is not a JSON object")
            if filt is None or record.get("filter", "none") == filt:
                yield number, record


def _task_samples(path: Path, task: str, filters: list[str]) -> Iterator[Sample]:
    if len(filters) <= 1:
        for number, record in _lines(path, None):
            yield _sample(path, task, number, [record])
        return
    streams = [_lines(path, f) for f in filters]
    while True:
        group = [next(s, None) for s in streams]
        if all(g is None for g in group):
            return
        present = [g for g in group if g is not None]
        ids = {r.get("doc_id") for _, r in present}
        if len(present) != len(group) or len(ids) != 1:
            raise LogFormatError(
                path,
                f"line {present[0][0]}: the filters' records are not in the same document "
                f"order ({sorted(map(str, ids))})",
            )
        yield _sample(path, task, present[0][0], [r for _, r in present])


def _sample(path: Path, task: str, line: int, records: list[dict[str, Any]]) -> Sample:
    first = records[0]
    doc_id = first.get("doc_id")
    if isinstance(doc_id, bool) or not isinstance(doc_id, int):
        raise LogFormatError(path, f"line {line}: doc_id must be an integer, got {doc_id!r}")
    where = Where(path, f"doc_id {doc_id} (line {line})")
    scores: dict[str, SampleScore] = {}
    for record in records:
        filt = where.text(record.get("filter", "none"), "filter")
        names = record.get("metrics")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise where.error("metrics must be a list of metric names")
        for metric in names:
            if metric not in record:
                raise where.error(f"metric {metric!r} is listed but has no value")
            value = record[metric]
            number = None if isinstance(value, list | dict | str) else optional_float(value)
            scores[f"{metric},{filt}"] = SampleScore(value=value, value_float=number)
    arguments = where.optional_mapping(first.get("arguments"), "arguments")
    context = _first_context(arguments)
    filtered = first.get("filtered_resps")
    output = filtered[0] if isinstance(filtered, list) and filtered else None
    return Sample(
        run_key=task,
        sample_id=str(doc_id),
        epoch=1,
        input=context if context is not None else dict(arguments),
        target=first.get("target"),
        output=output if isinstance(output, str) else None,
        response={
            "arguments": arguments,
            "resps": first.get("resps"),
            "filtered_resps": {r.get("filter", "none"): r.get("filtered_resps") for r in records},
        },
        scores=scores,
        metadata={"doc": first["doc"]} if "doc" in first else {},
        extra={k: first[k] for k in ("doc_hash", "prompt_hash", "target_hash") if k in first},
    )


def _first_context(arguments: Mapping[str, Any]) -> str | None:
    """The prompt: ``arg_0`` of the first request (every choice of a multiple_choice
    document shares it)."""
    for request in arguments.values():
        if isinstance(request, Mapping) and isinstance(request.get("arg_0"), str):
            return str(request["arg_0"])
    return None
