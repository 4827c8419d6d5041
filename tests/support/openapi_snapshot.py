"""The stored OpenAPI contract: ``tests/snapshots/openapi.json``.

The REST API is a promise to every client ever written against it, so its paths, methods,
operation ids, parameters and request and response schemas are kept in a file that a test
compares with what the app serves. Changing the API means regenerating that file in the same
commit, which makes the change visible in review:

    .venv/bin/python -m tests.support.openapi_snapshot          # rewrite the snapshot
    .venv/bin/python -m tests.support.openapi_snapshot --diff   # show what differs
    .venv/bin/python -m tests.support.openapi_snapshot --diff --structural
        # only what a client's requests and responses depend on (no operation ids, route
        # descriptions or generated titles): empty when a refactor kept the wire contract
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "openapi.json"


def current() -> dict[str, Any]:
    """The served OpenAPI document without ``info`` (the version changes every release)."""
    from evalledger.api.app import create_app
    from evalledger.config import load_settings

    spec = create_app(load_settings(database_url="sqlite://")).openapi()
    spec.pop("info", None)
    return spec


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stored() -> str:
    return SNAPSHOT.read_text(encoding="utf-8")


_PROSE = {"operationId", "description", "title", "summary"}


def _structural(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _structural(v) for k, v in node.items() if k not in _PROSE}
    if isinstance(node, list):
        return [_structural(v) for v in node]
    return node


def diff(*, structural: bool = False) -> str:
    before, after = json.loads(stored()), current()
    if structural:
        before, after = _structural(before), _structural(after)
    return "".join(
        difflib.unified_diff(
            render(before).splitlines(keepends=True),
            render(after).splitlines(keepends=True),
            "snapshot",
            "served",
        )
    )


if __name__ == "__main__":
    if "--diff" in sys.argv:
        sys.stdout.write(diff(structural="--structural" in sys.argv))
    else:
        SNAPSHOT.write_text(render(current()), encoding="utf-8")
        print(f"wrote {SNAPSHOT}")
