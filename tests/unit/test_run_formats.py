"""The importers on logs the real harnesses wrote (tests/fixtures/harness/, see its README).

For each fixture: the header, the number of samples, every sample's score, answer and
explanation against the file read independently, and faithfulness: the metrics recomputed
from the imported samples equal what the harness reported, to 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalledger.runs.formats import FORMATS, LogHeader, Sample, detect_format, find_logs
from evalledger.runs.formats.aggregate import check_run, run_usage_totals
from tests.support.harness_logs import (
    FIXTURES,
    INSPECT,
    OPENAI,
    PROMPTFOO_OUT,
    inspect_log,
    lm_eval_results,
    lm_eval_samples,
)

ALL_LOGS = sorted(p for p, _ in find_logs(FIXTURES))


def _read(path: Path) -> tuple[LogHeader, list[Sample]]:
    fmt = detect_format(path)
    return fmt.read_header(path), list(fmt.iter_samples(path))


def test_a_folder_yields_every_log_once_and_no_companion_or_readme() -> None:
    names = sorted(p.name for p in ALL_LOGS)
    assert names == sorted(
        [
            "arith.eval",
            "arith_epochs.eval",
            "arith_epochs.json",
            "arith_error.eval",
            lm_eval_results().name,
            "out.json",
            "arith_match.jsonl",
            "arith_includes.jsonl",
            "arith_match_solver.jsonl",
            # compare/: the planted runs of tests/integration/test_runs_compare_harness.py
            *(f"{variant}.eval" for variant in ("base", "base_again", "equal", "worse")),
            *(p.name for p in (FIXTURES / "compare" / "lm_eval").glob("*/results_*.json")),
        ]
    )
    assert {detect_format(p).name for p in ALL_LOGS} == {f.name for f in FORMATS}


@pytest.mark.parametrize("path", ALL_LOGS, ids=lambda p: p.name)
def test_metrics_recomputed_from_the_samples_equal_the_harness_report(path: Path) -> None:
    header, samples = _read(path)
    checked = 0
    for run in header.runs:
        mine = [s for s in samples if s.run_key == run.key]
        assert mine, f"run {run.key} has no samples"
        for check in check_run(run, mine):
            assert check.agrees(1e-9), check
            checked += check.checked
    assert checked >= len(header.runs)


@pytest.mark.parametrize("path", ALL_LOGS, ids=lambda p: p.name)
def test_the_file_is_identified_by_its_content(path: Path) -> None:
    import hashlib

    header = detect_format(path).read_header(path)
    assert header.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert header.source.size == path.stat().st_size
    identities = [r.identity for r in header.runs]
    assert len(set(identities)) == len(identities)


# -- Inspect AI ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["arith.eval", "arith_epochs.eval", "arith_epochs.json", "arith_error.eval"]
)
def test_inspect_header_is_the_logs_own(name: str) -> None:
    path = INSPECT / name
    raw, raw_samples = inspect_log(path)
    header, samples = _read(path)
    (run,) = header.runs
    spec = raw["eval"]
    assert header.format == "inspect_ai" and header.schema_version == "2"
    assert run.key == spec["eval_id"]
    assert run.identity == f"inspect_ai:{spec['eval_id']}"
    assert run.run_id == spec["run_id"]
    assert (run.task, run.task_version, run.model) == ("arith", "1", "mockllm/model")
    assert run.harness_version == "0.3.285"
    assert run.status == "success"
    assert run.dataset["name"] == "arith12" and run.dataset["samples"] == 12
    assert run.tags == ("fixture",)
    assert run.metadata["generated_by"] == "scripts/harness_fixtures/inspect_fixtures.py"
    assert run.started_at == raw["stats"]["started_at"]
    assert run.solver == raw["plan"]
    assert run.revision is not None and run.revision["type"] == "git"
    assert len(samples) == len(raw_samples) == run.declared_samples
    usage = raw["stats"]["model_usage"]["mockllm/model"]
    assert run.usage is not None and run.usage.total_tokens == usage["total_tokens"]
    assert run_usage_totals(samples)["total_tokens"] == usage["total_tokens"]
    reported = [(s["name"], s.get("reducer")) for s in raw["results"]["scores"]]
    assert [(s.name, s.reducer) for s in run.scorers] == reported


def test_inspect_scorers_keep_every_metric_with_its_params() -> None:
    header, _ = _read(INSPECT / "arith_epochs.json")
    (run,) = header.runs
    assert [(s.name, s.reducer) for s in run.scorers] == [
        (name, reducer) for name in ("match", "includes", "grade") for reducer in ("mean", "max")
    ]
    grade = run.scorer("grade", "max")
    assert grade is not None
    assert [(m.key, m.name, dict(m.params)) for m in grade.metrics] == [
        ("accuracy", "accuracy", {}),
        ("stderr", "stderr", {}),
        ("stderr2", "stderr", {"cluster": "group"}),
    ]
    assert grade.scored_samples == 12 and grade.unscored_samples == 0


@pytest.mark.parametrize(
    "name", ["arith.eval", "arith_epochs.eval", "arith_epochs.json", "arith_error.eval"]
)
def test_inspect_every_sample_round_trips(name: str) -> None:
    path = INSPECT / name
    _, raw_samples = inspect_log(path)
    _, samples = _read(path)
    by_key = {(s.sample_id, s.epoch): s for s in samples}
    assert len(by_key) == len(samples)
    grades = {"C": 1.0, "P": 0.5, "I": 0.0}
    for raw in raw_samples:
        sample = by_key[(str(raw["id"]), raw["epoch"])]
        assert sample.input == raw["input"] and sample.target == raw["target"]
        assert sample.output == raw["output"]["completion"]
        assert sample.metadata == raw["metadata"]
        assert set(sample.scores) == set(raw["scores"])
        for scorer, score in raw["scores"].items():
            mine = sample.scores[scorer]
            assert (mine.value, mine.answer, mine.explanation) == (
                score["value"],
                score.get("answer"),
                score.get("explanation"),
            )
            assert mine.value_float == grades[score["value"]]
        if raw.get("error"):  # failed before the model was called: no usage
            assert sample.usage is None and sample.error == raw["error"]["message"]
        else:
            assert sample.usage is not None
            assert sample.usage.total_tokens == raw["output"]["usage"]["total_tokens"]
        assert sample.timing is not None and sample.timing.started_at == raw["started_at"]


def test_inspect_letter_grades_and_answers_as_the_scorers_gave_them() -> None:
    _, samples = _read(INSPECT / "arith.eval")
    q03 = next(s for s in samples if s.sample_id == "q03")
    assert q03.output == "The answer is 18, I believe"
    assert {k: v.value for k, v in q03.scores.items()} == {
        "match": "I",
        "includes": "C",
        "grade": "P",
    }
    assert q03.scores["grade"].value_float == 0.5
    assert q03.scores["grade"].explanation == "number present"


def test_inspect_epochs_are_kept_one_sample_each() -> None:
    _, samples = _read(INSPECT / "arith_epochs.eval")
    assert sorted({s.epoch for s in samples}) == [1, 2]
    assert len({s.sample_id for s in samples}) == 12
    q02 = {s.epoch: s for s in samples if s.sample_id == "q02"}
    assert q02[1].output == "I think 11" and q02[1].scores["match"].value == "I"
    assert q02[2].output == "The answer is 12." and q02[2].scores["match"].value == "C"


def test_inspect_errored_sample_keeps_its_error_and_has_no_scores() -> None:
    header, samples = _read(INSPECT / "arith_error.eval")
    q05 = next(s for s in samples if s.sample_id == "q05")
    assert q05.error is not None and "simulated tool failure on q05" in q05.error
    assert q05.scores == {}
    assert header.runs[0].scorers[0].scored_samples == 11


def test_inspect_json_and_eval_containers_read_alike() -> None:
    """The same task with epochs=2 in both containers: same samples and mean-reducer metrics."""
    eval_header, eval_samples = _read(INSPECT / "arith_epochs.eval")
    json_header, json_samples = _read(INSPECT / "arith_epochs.json")

    def view(samples: list[Sample]) -> list[tuple[str, int, str | None, dict[str, object]]]:
        return sorted(
            (s.sample_id, s.epoch, s.output, {k: v.value for k, v in s.scores.items()})
            for s in samples
        )

    assert view(eval_samples) == view(json_samples)
    for scorer in eval_header.runs[0].scorers:
        twin = json_header.runs[0].scorer(scorer.name, "mean")
        assert twin is not None
        assert [m.value for m in scorer.metrics] == [m.value for m in twin.metrics]


# -- lm-evaluation-harness -----------------------------------------------------------------------


def test_lm_eval_one_run_per_task_with_its_metrics_and_config() -> None:
    path = lm_eval_results()
    raw = json.loads(path.read_text())
    header, samples = _read(path)
    assert header.format == "lm_eval" and header.schema_version == "0.4.13"
    assert [r.key for r in header.runs] == list(raw["results"])
    assert sorted(c.name for c in header.companions) == sorted(
        f"samples_{t}_{path.stem.removeprefix('results_')}.jsonl" for t in raw["results"]
    )
    mc = header.run("arith_mc")
    assert mc.identity == f"lm_eval:{path.name}:{raw['date']!r}:arith_mc"
    assert (mc.task, mc.task_version, mc.harness_version) == ("arith_mc", "1.0", "0.4.13")
    assert mc.model == raw["model_name"]
    assert mc.dataset["dataset_path"] == "json"
    assert mc.dataset["task_hash"] == raw["task_hashes"]["arith_mc"]
    assert mc.declared_samples == 16
    assert mc.extra["task_config"] == raw["configs"]["arith_mc"]
    assert [s.name for s in mc.scorers] == ["acc,none", "acc_norm,none"]
    acc = mc.scorer("acc,none")
    assert acc is not None and acc.params["filter"] == "none"
    assert [(m.key, m.value) for m in acc.metrics] == [
        ("acc", raw["results"]["arith_mc"]["acc,none"]),
        ("acc_stderr", raw["results"]["arith_mc"]["acc_stderr,none"]),
    ]
    gen = header.run("arith_gen")
    assert [s.name for s in gen.scorers] == ["exact_match,strict"]
    assert gen.generate_config == {"until": ["\n"]}
    assert len(samples) == 32


@pytest.mark.parametrize("task", ["arith_mc", "arith_gen"])
def test_lm_eval_every_sample_round_trips(task: str) -> None:
    _, samples = _read(lm_eval_results())
    mine = {s.sample_id: s for s in samples if s.run_key == task}
    raw_lines = lm_eval_samples(task)
    assert len(mine) == len(raw_lines) == 16
    for raw in raw_lines:
        sample = mine[str(raw["doc_id"])]
        assert sample.target == raw["target"]
        assert sample.metadata["doc"] == raw["doc"]
        assert sample.extra["doc_hash"] == raw["doc_hash"]
        assert sample.input == raw["arguments"]["gen_args_0"]["arg_0"]
        assert {k: v.value for k, v in sample.scores.items()} == {
            f"{m},{raw['filter']}": raw[m] for m in raw["metrics"]
        }
        if task == "arith_gen":
            assert sample.output == "lol"


# -- promptfoo -----------------------------------------------------------------------------------


def test_promptfoo_one_run_per_provider_and_prompt() -> None:
    raw = json.loads(PROMPTFOO_OUT.read_text())
    header, samples = _read(PROMPTFOO_OUT)
    assert header.format == "promptfoo" and header.schema_version == "3"
    assert len(header.runs) == 6
    assert [(r.model, r.solver["label"]) for r in header.runs] == [
        (p["provider"], p["label"]) for p in raw["results"]["prompts"]
    ]
    assert {r.run_id for r in header.runs} == {raw["evalId"]}
    assert {r.harness_version for r in header.runs} == {"0.123.1"}
    assert {r.task for r in header.runs} == {"arithmetic echo fixture"}
    assert header.extra["stats"]["successes"] == 7
    for run, prompt in zip(header.runs, raw["results"]["prompts"], strict=True):
        passes = run.scorer("pass")
        count = passes.metric("testPassCount") if passes else None
        assert count is not None and count.value == prompt["metrics"]["testPassCount"]
        assert len([s for s in samples if s.run_key == run.key]) == 4


def test_promptfoo_every_result_round_trips() -> None:
    raw = json.loads(PROMPTFOO_OUT.read_text())
    _, samples = _read(PROMPTFOO_OUT)
    mine = {(s.run_key, s.sample_id): s for s in samples}
    assert len(mine) == len(raw["results"]["results"]) == 24
    for result in raw["results"]["results"]:
        sample = mine[(str(result["promptIdx"]), str(result["testIdx"]))]
        assert sample.scores["pass"].value is result["success"]
        assert sample.scores["score"].value == result["score"]
        assert sample.output == result["response"].get("output")
        assert sample.input == result["prompt"]["raw"]
        assert sample.metadata["vars"] == result["vars"]
        grading = result.get("gradingResult") or {}
        assert sample.scores["pass"].explanation == grading.get("reason")


def test_promptfoo_failures_are_not_errors_and_provider_errors_are() -> None:
    header, samples = _read(PROMPTFOO_OUT)
    flaky = [r for r in header.runs if r.model == "flaky"]
    assert len(flaky) == 2
    errored = [s for s in samples if s.error is not None]
    assert {(s.run_key, s.sample_id) for s in errored} == {(r.key, "2") for r in flaky}
    assert {s.error for s in errored} == {"simulated provider outage"}
    failed = [s for s in samples if s.error is None and s.scores["pass"].value is False]
    assert len(failed) == 15
    assert any("Expected output to contain" in (s.scores["pass"].explanation or "") for s in failed)


# -- OpenAI evals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["arith_match", "arith_includes", "arith_match_solver"])
def test_openai_evals_header_and_every_sample(name: str) -> None:
    path = OPENAI / f"{name}.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    spec = lines[0]["spec"]
    report = next(line["final_report"] for line in lines if "final_report" in line)
    header, samples = _read(path)
    (run,) = header.runs
    assert run.identity == f"openai_evals:{spec['run_id']}" and run.run_id == spec["run_id"]
    assert run.task == spec["base_eval"] and run.task_version == spec["eval_name"]
    assert run.model == ",".join(spec["completion_fns"])
    assert run.status == "success"
    match = run.scorer("match")
    accuracy = match.metric("accuracy") if match else None
    assert accuracy is not None and accuracy.value == report["accuracy"]
    matches = {line["sample_id"]: line["data"] for line in lines if line.get("type") == "match"}
    assert len(samples) == len(matches) == 10
    for sample in samples:
        data = matches[sample.sample_id]
        assert sample.scores["match"].value is data["correct"]
        assert sample.scores["match"].answer == data["picked"]
        assert sample.target == data["expected"]
        assert sample.output == data["sampled"]


def test_openai_evals_sampling_events_give_input_and_usage() -> None:
    path = OPENAI / "arith_match_solver.jsonl"
    header, samples = _read(path)
    (run,) = header.runs
    assert all(s.input and s.input[-1]["role"] == "user" for s in samples)
    assert run.usage is not None
    assert run_usage_totals(samples) == {
        "input_tokens": run.usage.input_tokens,
        "output_tokens": run.usage.output_tokens,
        "total_tokens": run.usage.total_tokens,
    }
    eight = next(s for s in samples if s.sample_id.endswith(".8"))
    assert eight.input[-1]["content"] == "What is 11 + 13?" and eight.output == "24"
