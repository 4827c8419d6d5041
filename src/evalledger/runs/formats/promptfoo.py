"""promptfoo's ``promptfoo eval -o out.json`` output (results version 3; version 2 tolerated).

One output holds a grid of providers x prompts; each cell (an entry of ``results.prompts``,
whose index is a result's ``promptIdx``) is one run, with the metrics promptfoo computed for
it (``testPassCount``, ``testFailCount``, ``testErrorCount``, ``score``, assertion counts).
Each entry of ``results.results`` is one sample (one test case on one cell), streamed with
ijson so the output is never loaded whole. Scores per sample: ``pass`` (the test passed),
``score`` (promptfoo's weighted assertion score) and each of its ``namedScores``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from evalledger.runs.formats import _json
from evalledger.runs.formats.base import (
    PROMPTFOO,
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

KNOWN_VERSIONS = frozenset({2, 3})
#: promptfoo's ResultFailureReason: 0 none, 1 an assertion failed, 2 an error.
FAILURE_ERROR = 2
#: The per-cell counts promptfoo reports, kept as metrics of the ``pass`` scorer.
_PASS_METRICS = (
    "testPassCount",
    "testFailCount",
    "testErrorCount",
    "assertPassCount",
    "assertFailCount",
)


class PromptfooFormat:
    """promptfoo ``-o out.json`` output."""

    name = PROMPTFOO

    def detect(self, path: Path) -> bool:
        return path.suffix == ".json" and "evalId" in _json.first_keys(path, 2)

    @guard_header
    def read_header(self, path: Path) -> LogHeader:
        where = Where(path)
        source = source_file(path)
        doc = _json.read_skipping(path, {"results.results", "results.table.body"})
        eval_id = where.text(doc.get("evalId"), "evalId")
        results = where.mapping(doc.get("results"), "'results'")
        version = results.get("version")
        if version not in KNOWN_VERSIONS:
            raise where.error(
                f"promptfoo results version {version!r} is not one this importer reads (2, 3)"
            )
        prompts = results.get("prompts")
        if prompts is None and version == 2:
            prompts = where.mapping(results.get("table"), "results.table").get("head", {})
            prompts = prompts.get("prompts")
        if not isinstance(prompts, list):
            raise where.error("results.prompts must be a list")
        config = where.optional_mapping(doc.get("config"), "'config'")
        metadata = where.optional_mapping(doc.get("metadata"), "'metadata'")
        runs = tuple(
            _run_header(where, eval_id, i, p, config, metadata, results)
            for i, p in enumerate(prompts)
        )
        return LogHeader(
            format=PROMPTFOO,
            schema_version=str(version),
            source=source,
            runs=runs,
            extra={
                k: v
                for k, v in {
                    "stats": results.get("stats"),
                    "config": config,
                    "metadata": metadata,
                    "shareableUrl": doc.get("shareableUrl"),
                }.items()
                if v
            },
        )

    @guard_samples
    def iter_samples(self, path: Path) -> Iterator[Sample]:
        for raw in _json.iter_items(path, "results.results.item"):
            yield sample_from(Where(path), raw)


def _run_header(
    where: Where,
    eval_id: str,
    index: int,
    raw: Any,
    config: Mapping[str, Any],
    metadata: Mapping[str, Any],
    results: Mapping[str, Any],
) -> RunHeader:
    prompt = where.mapping(raw, f"results.prompts[{index}]")
    provider = str(prompt.get("provider") or "")
    metrics = where.optional_mapping(prompt.get("metrics"), f"results.prompts[{index}].metrics")
    counts = tuple(
        Metric(key=k, name=k, value=optional_float(metrics.get(k)))
        for k in _PASS_METRICS
        if k in metrics
    )
    scorers = [
        Scorer(name="pass", metrics=counts),
        Scorer(
            name="score", metrics=(Metric("score", "sum", optional_float(metrics.get("score"))),)
        ),
    ]
    named_counts = metrics.get("namedScoresCount") or {}
    for name, total in (metrics.get("namedScores") or {}).items():
        scorers.append(
            Scorer(
                name=str(name),
                metrics=(
                    Metric("sum", "sum", optional_float(total)),
                    Metric("count", "count", optional_float(named_counts.get(name))),
                ),
            )
        )
    usage = metrics.get("tokenUsage") or {}
    prompt_id = str(prompt.get("id") or index)
    timestamp = results.get("timestamp") or metadata.get("evaluationCreatedAt")
    return RunHeader(
        key=str(index),
        harness=PROMPTFOO,
        harness_version=_text(metadata.get("promptfooVersion")),
        identity=f"{PROMPTFOO}:{eval_id}:{index}:{provider}:{prompt_id}",
        run_id=eval_id,
        task=_text(config.get("description")) or "promptfoo eval",
        task_version=None,
        dataset={"tests": len(config["tests"])} if isinstance(config.get("tests"), list) else {},
        model=provider or None,
        model_args={},
        generate_config={},
        solver={k: prompt[k] for k in ("id", "raw", "label", "config") if k in prompt},
        scorers=tuple(scorers),
        status="success",
        started_at=_text(timestamp),
        completed_at=None,
        tags=tuple(f"{k}={v}" for k, v in (config.get("tags") or {}).items()),
        metadata={},
        usage=TokenUsage(
            input_tokens=optional_int(usage.get("prompt")),
            output_tokens=optional_int(usage.get("completion")),
            total_tokens=optional_int(usage.get("total")),
            raw=usage,
        )
        if usage
        else None,
        extra={
            k: metrics[k]
            for k in ("totalLatencyMs", "cost", "namedScoreWeights")
            if metrics.get(k) not in (None, {})
        },
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def sample_from(where_file: Where, raw: Any) -> Sample:
    """One ``EvaluateResult`` as a :class:`~.base.Sample` of run ``promptIdx``."""
    base = Where(where_file.path)
    result = base.mapping(raw, "a result")
    prompt_idx = result.get("promptIdx")
    test_idx = result.get("testIdx")
    where = Where(where_file.path, f"testIdx {test_idx} promptIdx {prompt_idx}")
    if isinstance(prompt_idx, bool) or not isinstance(prompt_idx, int) or prompt_idx < 0:
        raise where.error(f"promptIdx must be a non-negative integer, got {prompt_idx!r}")
    if isinstance(test_idx, bool) or not isinstance(test_idx, int) or test_idx < 0:
        raise where.error(f"testIdx must be a non-negative integer, got {test_idx!r}")
    success = result.get("success")
    if not isinstance(success, bool):
        raise where.error(f"success must be true or false, got {success!r}")
    grading = where.optional_mapping(result.get("gradingResult"), "gradingResult")
    response = where.optional_mapping(result.get("response"), "response")
    output = response.get("output")
    output_text = output if isinstance(output, str) else None
    reason = grading.get("reason")
    scores = {
        "pass": SampleScore(
            value=success,
            value_float=1.0 if success else 0.0,
            answer=output_text,
            explanation=reason if isinstance(reason, str) else None,
            metadata={"componentResults": grading["componentResults"]}
            if grading.get("componentResults")
            else None,
        )
    }
    score = where.number(result.get("score"), "score")
    if score is not None:
        scores["score"] = SampleScore(value=result["score"], value_float=score)
    for name, value in (result.get("namedScores") or {}).items():
        scores[str(name)] = SampleScore(value=value, value_float=optional_float(value))
    failure = result.get("failureReason")
    error = result.get("error")
    is_error = failure == FAILURE_ERROR if failure is not None else bool(response.get("error"))
    usage = result.get("tokenUsage") or response.get("tokenUsage") or {}
    latency = optional_float(result.get("latencyMs"))
    test_case = where.optional_mapping(result.get("testCase"), "testCase")
    prompt = where.optional_mapping(result.get("prompt"), "prompt")
    return Sample(
        run_key=str(prompt_idx),
        sample_id=str(test_idx),
        epoch=1,
        input=prompt.get("raw"),
        target=test_case.get("assert"),
        output=output_text,
        response=dict(response),
        scores=scores,
        usage=TokenUsage(
            input_tokens=optional_int(usage.get("prompt")),
            output_tokens=optional_int(usage.get("completion")),
            total_tokens=optional_int(usage.get("total")),
            raw=usage,
        )
        if usage
        else None,
        timing=Timing(total_seconds=latency / 1000) if latency is not None else None,
        error=str(error or response.get("error") or "error") if is_error else None,
        metadata={
            "vars": result.get("vars") or {},
            **({"description": test_case["description"]} if "description" in test_case else {}),
            **({"metadata": result["metadata"]} if result.get("metadata") else {}),
        },
        extra={
            k: result[k]
            for k in ("id", "promptId", "provider", "cost", "failureReason")
            if result.get(k) is not None
        },
    )
