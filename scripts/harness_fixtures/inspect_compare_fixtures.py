"""Generate the Inspect AI comparison fixtures with the real harness, offline (generate.sh).

One 100-question task (``arith100``, scorer ``match()``) run four times on ``mockllm/model``
with custom outputs, once per variant of :mod:`compare_plan` (base, base_again, equal,
worse), into ``<out>/<variant>.eval``. The variants answer the same dataset; each is right
except on the questions its plan marks wrong, so the counts a comparison must report are
known before the runs are made. The variant is in each log's tags (``variant:NAME``) and
metadata.
"""

from __future__ import annotations

import sys
from pathlib import Path

from compare_plan import WRONG, N, is_wrong, question, sample_id
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import match
from inspect_ai.solver import generate
from inspect_fixtures import _run


def _dataset() -> MemoryDataset:
    samples = []
    for i in range(N):
        a, b = question(i)
        samples.append(Sample(id=sample_id(i), input=f"What is {a} + {b}?", target=str(a + b)))
    return MemoryDataset(samples, name="arith100")


@task
def arith100() -> Task:
    return Task(dataset=_dataset(), solver=[generate()], scorer=[match()], version=1)


def _variant_model(variant: str):  # type: ignore[no-untyped-def]
    def respond(messages, tools, tool_choice, config):  # type: ignore[no-untyped-def]
        text = messages[-1].text
        a, b = (int(t) for t in text.removeprefix("What is ").rstrip("?").split(" + "))
        content = str(a + b + (1 if is_wrong(variant, a) else 0))
        out = ModelOutput.from_content(model="mockllm/model", content=content)
        out.usage = ModelUsage(input_tokens=4, output_tokens=1, total_tokens=5)
        return out

    return get_model("mockllm/model", custom_outputs=respond)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.eval"):
        old.unlink()
    for variant in WRONG:
        _run(
            out,
            variant,
            "eval",
            arith100(),
            model=_variant_model(variant),
            tags=["fixture", f"variant:{variant}"],
            metadata={
                "generated_by": "scripts/harness_fixtures/inspect_compare_fixtures.py",
                "variant": variant,
            },
        )


if __name__ == "__main__":
    main()
