"""Run lm-eval's own command line with one more model, ``scripted`` (lm_eval_compare_fixtures.sh).

``python lm_eval_scripted.py run --model scripted --model_args variant=NAME ...`` registers
the model with lm-eval's ``register_model`` and hands the arguments to lm-eval's CLI entry
point (``lm_eval.__main__.cli_evaluate``), which evaluates, scores and writes the results
and samples files exactly as ``lm_eval run`` does. The model is deterministic: for a
multiple-choice request "Question: What is A + B?" it gives the choice A + B a
log-likelihood of -0.1 and every other choice -5.0, except on the questions the variant's
plan (:mod:`compare_plan`) marks wrong, where A + B + 2 gets -0.1 instead. It has no
generation.
"""

from __future__ import annotations

import re
import sys

from compare_plan import WRONG, is_wrong
from lm_eval.__main__ import cli_evaluate
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

_QUESTION = re.compile(r"What is (\d+) \+ (\d+)\?")


@register_model("scripted")
class ScriptedLM(LM):  # type: ignore[misc]
    def __init__(self, variant: str = "base", **_: object) -> None:
        super().__init__()
        if variant not in WRONG:
            raise ValueError(f"variant must be one of {sorted(WRONG)}, not {variant!r}")
        self.variant = variant

    def loglikelihood(self, requests, disable_tqdm: bool = False):  # type: ignore[no-untyped-def]
        out = []
        for request in requests:
            context, continuation = request.arguments
            found = _QUESTION.search(context)
            assert found, context
            a, b = int(found[1]), int(found[2])
            chosen = a + b + (2 if is_wrong(self.variant, a) else 0)
            out.append((-0.1 if continuation.strip() == str(chosen) else -5.0, False))
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):  # type: ignore[no-untyped-def]
        raise NotImplementedError("the scripted model only answers multiple choice")

    def generate_until(self, requests, disable_tqdm: bool = False):  # type: ignore[no-untyped-def]
        raise NotImplementedError("the scripted model only answers multiple choice")


if __name__ == "__main__":
    sys.argv[0] = "lm_eval"
    cli_evaluate()
