#!/usr/bin/env bash
# Generate the lm-evaluation-harness fixtures with the real harness, offline (run by generate.sh).
# Usage: lm_eval_fixtures.sh HARNESS_VENV OUT_DIR
#
# Two local YAML tasks over a local JSON file (dataset_path: json, dataset_kwargs.data_files),
# the built-in `dummy` model (random log-likelihoods, seeded by lm-eval's --seed; "lol" for
# every generation) and --log_samples:
#   arith_mc   multiple_choice: acc, acc_norm with their stderr twins
#   arith_gen  generate_until: exact_match under a `strict` filter (targets "lol" on some docs)
# Writes OUT_DIR/dummy/results_<date>.json and OUT_DIR/dummy/samples_<task>_<date>.jsonl.
set -euo pipefail
VENV=$(realpath "$1")
OUT=$(realpath -m "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT"

"$VENV/bin/python" - "$WORK" <<'PY'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
docs = []
for i, (a, b) in enumerate([(2, 3), (7, 5), (9, 9), (12, 4), (6, 8), (15, 27), (3, 3), (40, 2),
                            (11, 13), (8, 1), (21, 21), (5, 14), (4, 4), (10, 9), (1, 30),
                            (17, 6)]):
    right = a + b
    docs.append({
        "id": f"q{i + 1:02d}",
        "question": f"What is {a} + {b}?",
        "choices": [str(right - 1), str(right), str(right + 2), str(right * 2)],
        "label": 1,
        "answer": "lol" if i % 3 == 0 else str(right),
    })
(work / "arith.json").write_text(json.dumps(docs, indent=1))
common = f"""dataset_path: json
dataset_kwargs:
  data_files:
    test: {work / 'arith.json'}
test_split: test
"""
(work / "arith_mc.yaml").write_text(common + """task: arith_mc
output_type: multiple_choice
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_choice: "{{choices}}"
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
(work / "arith_gen.yaml").write_text(common + """task: arith_gen
output_type: generate_until
doc_to_text: "Question: {{question}}\\nAnswer:"
doc_to_target: answer
generation_kwargs:
  until: ["\\n"]
filter_list:
  - name: strict
    filter:
      - function: take_first
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 2.0
""")
PY

cd "$WORK"
HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HOME="$WORK/hf" \
  "$VENV/bin/lm_eval" run --model dummy --tasks arith_mc,arith_gen --include_path "$WORK" \
  --output_path "$OUT" --log_samples --seed 1234
echo "lm_eval: wrote $(ls "$OUT"/*/ | tr '\n' ' ')"
