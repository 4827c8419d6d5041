#!/usr/bin/env bash
# Generate the OpenAI evals fixtures with the real `oaieval`, offline (run by generate.sh).
# Usage: openai_evals_fixtures.sh EVALS_VENV OUT_DIR
#
# A local registry (--registry_path) with two tiny evals over local JSONL samples, run with
# the built-in `dummy` completion fn (it answers "This is a dummy response." to everything,
# so a sample whose ideal answer is a prefix of that matches):
#   arith_match     evals.elsuite.basic.match:Match      -> match events, accuracy
#   arith_includes  evals.elsuite.basic.includes:Includes -> match events, accuracy
# and arith_match once more with a local completion fn (arith_match_solver.jsonl) that
# records `sampling` events with usage.
# --record_path writes each run's JSONL record log (spec line, events, final_report).
set -euo pipefail
VENV=$(realpath "$1")
OUT=$(realpath -m "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/registry/evals" "$WORK/registry/data/arith"
rm -f "$OUT"/*.jsonl

"$VENV/bin/python" - "$WORK/registry/data/arith/samples.jsonl" <<'PY'
import json, sys
rows = []
for i, (a, b) in enumerate([(2, 3), (7, 5), (9, 9), (12, 4), (6, 8), (15, 27), (3, 3), (40, 2),
                            (11, 13), (8, 1)]):
    ideal = ["This is a dummy", str(a + b)] if i % 3 == 0 else str(a + b)
    rows.append({"input": [{"role": "system", "content": "Answer with the number only."},
                           {"role": "user", "content": f"What is {a} + {b}?"}],
                 "ideal": ideal})
with open(sys.argv[1], "w") as fh:
    fh.writelines(json.dumps(r) + "\n" for r in rows)
PY

cat > "$WORK/registry/evals/arith.yaml" <<'YAML'
arith_match:
  id: arith_match.dev.v0
  description: arithmetic, exact prefix match
  metrics: [accuracy]
arith_match.dev.v0:
  class: evals.elsuite.basic.match:Match
  args:
    samples_jsonl: arith/samples.jsonl
arith_includes:
  id: arith_includes.dev.v0
  description: arithmetic, answer included
  metrics: [accuracy]
arith_includes.dev.v0:
  class: evals.elsuite.basic.includes:Includes
  args:
    samples_jsonl: arith/samples.jsonl
YAML

# A local completion fn (no API): it adds the two numbers, wrong on purpose for some, and
# records a `sampling` event with token usage, as the OpenAI completion fns do.
mkdir -p "$WORK/registry/completion_fns"
cat > "$WORK/local_fns.py" <<'PY'
import re
from evals.api import CompletionFn, CompletionResult
from evals.record import record_sampling


class _Result(CompletionResult):
    def __init__(self, text):
        self.text = text

    def get_completions(self):
        return [self.text]


class ArithFn(CompletionFn):
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def __call__(self, prompt, **kwargs):
        question = prompt[-1]["content"] if isinstance(prompt, list) else str(prompt)
        a, b = (int(x) for x in re.findall(r"\d+", question)[:2])
        text = str(a + b + (1 if (a * b) % 4 == 0 else 0))
        record_sampling(prompt=prompt, sampled=text,
                        usage={"prompt_tokens": len(question.split()),
                               "completion_tokens": 1,
                               "total_tokens": len(question.split()) + 1})
        return _Result(text)
PY
cat > "$WORK/registry/completion_fns/local.yaml" <<'YAML'
arith-solver:
  class: local_fns:ArithFn
YAML

cd "$WORK"
# No request leaves the machine: `dummy` never calls an API. The key only satisfies the
# OpenAI client that evals constructs at import time.
export OPENAI_API_KEY=offline-not-used EVALS_THREADS=1 HOME="$WORK"
for name in arith_match arith_includes; do
  "$VENV/bin/oaieval" dummy "$name" --registry_path "$WORK/registry" \
    --record_path "$OUT/$name.jsonl" --seed 20220722
done
PYTHONPATH="$WORK" "$VENV/bin/oaieval" arith-solver arith_match --registry_path "$WORK/registry" \
  --record_path "$OUT/arith_match_solver.jsonl" --seed 20220722
echo "openai_evals: wrote $(ls "$OUT")"
