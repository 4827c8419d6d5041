"""Generate the Inspect AI fixtures with the real harness, offline (run by generate.sh).

Runs a 12-question arithmetic task on ``mockllm/model`` with custom outputs (each with
``usage`` set, so the provider never downloads a tokenizer) and three scorers: ``match()``,
``includes()`` and a model-free letter-grade scorer (C/P/I). Writes into the folder given as
the first argument:

* ``arith.eval``          one epoch, the default ``.eval`` container (zstd members);
* ``arith_epochs.eval``   two epochs, default ``mean`` reducer;
* ``arith_epochs.json``   two epochs with two reducers (``mean``, ``max``), ``--log-format json``;
* ``arith_error.eval``    one sample raises in its solver; ``fail_on_error=False`` keeps the run.

Determinism: ``max_samples=1`` runs the samples in order, so the per-question call counter
below gives the same answers on every regeneration (ids and timestamps differ, of course).
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

from inspect_ai import Epochs, Task, eval, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import (
    CORRECT,
    INCORRECT,
    PARTIAL,
    Score,
    Target,
    accuracy,
    includes,
    match,
    scorer,
    stderr,
)
from inspect_ai.solver import Generate, Solver, TaskState, generate, solver

QUESTIONS = [(a, b) for a, b in [(2, 3), (7, 5), (9, 9), (12, 4), (6, 8), (15, 27), (3, 3),
                                  (40, 2), (11, 13), (8, 1), (21, 21), (5, 14)]]


def _dataset() -> MemoryDataset:
    return MemoryDataset(
        [
            Sample(
                id=f"q{i + 1:02d}",
                input=f"What is {a} + {b}? Answer with the number only.",
                target=str(a + b),
                metadata={"a": a, "b": b, "group": a % 3},
            )
            for i, (a, b) in enumerate(QUESTIONS)
        ],
        name="arith12",
    )


def _answer(a: int, b: int, call: int) -> str:
    """The mock model's reply: right for most questions, off by one or wordy for some."""
    right = a + b
    if (a * 7 + b) % 5 == 0:
        return f"{right + 1}"  # wrong
    if (a + b) % 4 == 0:
        # second epoch differs: wrong first, then wordy-right
        return f"I think {right - 1}" if call == 0 else f"The answer is {right}."
    if a % 3 == 0:
        return f"The answer is {right}, I believe"  # includes but does not `match` at end
    return str(right)


def _mock_model():  # type: ignore[no-untyped-def]
    calls: Counter[str] = Counter()

    def respond(messages, tools, tool_choice, config):  # type: ignore[no-untyped-def]
        text = messages[-1].text
        a, b = (int(t) for t in text.split("?")[0].removeprefix("What is ").split(" + "))
        content = _answer(a, b, calls[text])
        calls[text] += 1
        out = ModelOutput.from_content(model="mockllm/model", content=content)
        out.usage = ModelUsage(
            input_tokens=len(text.split()),
            output_tokens=len(content.split()),
            total_tokens=len(text.split()) + len(content.split()),
        )
        return out

    return get_model("mockllm/model", custom_outputs=respond)


@scorer(metrics=[accuracy(), stderr(), stderr(cluster="group")])
def grade() -> object:
    """Letter grades without a model: C exact, P the number appears somewhere, else I.

    Its metrics add a stderr clustered on the sample metadata ``group`` (Inspect's
    ``stderr(cluster=...)``), so the clustered formula is exercised too.
    """

    async def score(state: TaskState, target: Target) -> Score:
        completion = state.output.completion.strip()
        if completion == target.text:
            return Score(value=CORRECT, answer=completion, explanation="exact")
        if target.text in completion:
            return Score(value=PARTIAL, answer=completion, explanation="number present")
        return Score(value=INCORRECT, answer=completion, explanation="number absent")

    return score


@solver
def flaky(bad_id: str) -> Solver:
    """Raise for one sample, so the log carries a sample error."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if state.sample_id == bad_id:
            raise RuntimeError(f"simulated tool failure on {bad_id}")
        return state

    return solve


@task
def arith(fail_id: str = "") -> Task:
    solvers = [flaky(fail_id), generate()] if fail_id else [generate()]
    return Task(
        dataset=_dataset(),
        solver=solvers,
        scorer=[match(), includes(), grade()],
        version=1,
    )


def _run(out: Path, name: str, fmt: str, the_task: Task | None = None, **kwargs: object) -> None:
    """Run ``the_task`` (default ``arith()``) into ``out/name.fmt``; ``kwargs`` go to
    ``eval`` and may replace the model, tags and metadata given here."""
    tmp = out / f".tmp-{name}"
    shutil.rmtree(tmp, ignore_errors=True)
    options: dict[str, object] = {
        "model": _mock_model(),
        "tags": ["fixture"],
        "metadata": {"generated_by": "scripts/harness_fixtures/inspect_fixtures.py"},
        **kwargs,
    }
    logs = eval(
        the_task or arith(),
        log_dir=str(tmp),
        log_format=fmt,  # type: ignore[arg-type]
        max_samples=1,
        display="none",
        **options,  # type: ignore[arg-type]
    )
    assert len(logs) == 1, logs
    (produced,) = list(tmp.iterdir())
    produced.rename(out / f"{name}.{fmt}")
    tmp.rmdir()
    print(f"inspect: wrote {name}.{fmt} status={logs[0].status}")


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("*.eval")) + list(out.glob("*.json")):
        old.unlink()
    _run(out, "arith", "eval")
    _run(out, "arith_epochs", "eval", epochs=2)
    _run(out, "arith_epochs", "json", epochs=Epochs(2, ["mean", "max"]))
    _run(out, "arith_error", "eval", arith(fail_id="q05"), fail_on_error=False)


if __name__ == "__main__":
    main()
