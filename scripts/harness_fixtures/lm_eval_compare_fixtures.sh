#!/usr/bin/env bash
# Generate the lm-evaluation-harness comparison fixtures with the real harness, offline
# (run by generate.sh). Usage: lm_eval_compare_fixtures.sh HARNESS_VENV OUT_DIR
#
# One local multiple-choice task, arith100_mc, over the 100 questions of compare_plan.py
# (two choices: A + B and A + B + 2; metrics acc and acc_norm), run five times:
#   dummy/    the built-in `dummy` model twice with the same --seed 1234: lm-eval seeds
#             Python's `random`, so both runs draw the same log-likelihoods, i.e. the same
#             answers: two identical runs. (Its answers are random, so nothing is planted.)
#   scripted-<variant>/ lm-eval's CLI with a deterministic model registered by lm_eval_scripted.py,
#             once per variant base, equal, worse: the planted differences.
# Writes OUT_DIR/<model name>/results_<date>.json with samples_arith100_mc_<date>.jsonl.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=$(realpath "$1")
OUT=$(realpath -m "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"

PYTHONPATH="$HERE" "$VENV/bin/python" - "$WORK" <<'PY'
import json, sys
from pathlib import Path
from compare_plan import N, question, sample_id
work = Path(sys.argv[1])
docs = []
for i in range(N):
    a, b = question(i)
    docs.append({"id": sample_id(i), "question": f"What is {a} + {b}?",
                 "choices": [str(a + b), str(a + b + 2)], "label": 0})
(work / "arith100.json").write_text(json.dumps(docs))
(work / "arith100_mc.yaml").write_text(f"""task: arith100_mc
dataset_path: json
dataset_kwargs:
  data_files:
    test: {work / 'arith100.json'}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: label
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
""")
PY

cd "$WORK"
export HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HOME="$WORK/hf"
common=(--tasks arith100_mc --include_path "$WORK" --output_path "$OUT" --log_samples --seed 1234)
# `pretrained=` only names the model in the results (lm-eval reads the name from it; the
# dummy model ignores its arguments), so the runs are told apart by model.
for _ in 1 2; do
  "$VENV/bin/lm_eval" run --model dummy --model_args pretrained=dummy "${common[@]}"
done
for variant in base equal worse; do
  PYTHONPATH="$HERE" "$VENV/bin/python" "$HERE/lm_eval_scripted.py" run --model scripted \
    --model_args "pretrained=scripted-$variant,variant=$variant" "${common[@]}"
done
echo "lm_eval: wrote $(cd "$OUT" && find . -name 'results_*.json' | sort | tr '\n' ' ')"
