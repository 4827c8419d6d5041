"""SQL injection and hostile strings against every string parameter of every GET route.

The parameters are enumerated from the app's OpenAPI (every filter, sort and search
parameter, plus string path parameters), so a new route is covered without editing this
file. Each is tried with SQL metacharacters and payloads; the answer must be a normal result
(an empty page: nothing matches such a value) or a 4xx, never a 5xx, and the database must be
byte-for-byte unchanged afterwards (per-table row counts and checksums).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from evalledger.api.app import create_app
from evalledger.demo.generator import generate
from evalledger.ops.canonical import table_digests
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key

PAYLOADS = [
    "'",
    '"',
    "';",
    "--",
    "/* */",
    "' OR 1=1 --",
    '" OR "1"="1',
    "x'; DROP TABLE agent_metrics; --",
    "guardian' UNION SELECT key_hash FROM api_keys --",
    "%",
    "_",
    "\\",
    "\u202eevil\u202c",  # right-to-left override
    "\U0001f525\U0001f4a5",  # emoji
    "nul\x00byte",
    "a" * 10_000,
]


def _string_schema(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" or any(
        s.get("type") == "string" for s in schema.get("anyOf", [])
    )


def _targets(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(path, where, name)`` of every string parameter of every GET operation."""
    out = []
    for path, ops in spec["paths"].items():
        op = ops.get("get")
        if op is None:
            continue
        for param in op.get("parameters", []):
            if param["in"] in ("query", "path") and _string_schema(param["schema"]):
                out.append((path, param["in"], param["name"]))
    return out


def _empty(body: Any) -> bool:
    if isinstance(body, list):
        return not body
    if isinstance(body, dict) and "items" in body:
        return not body["items"]
    return True  # a single object or a statistics answer: checked only for no 5xx


def _answered_nothing(response: httpx.Response) -> bool:
    """No row in the answer: a JSON list or page, or a streamed export (JSONL lines, or CSV
    rows after the header)."""
    kind = response.headers.get("content-type", "")
    if "json" in kind and "ndjson" not in kind:
        return _empty(response.json())
    lines = [line for line in response.text.splitlines() if line.strip()]
    return len(lines) <= (1 if "csv" in kind else 0)


async def test_hostile_strings_never_inject(seeded: Ledger) -> None:
    await generate(seeded, "small", seed=3)
    key = await make_key(seeded, "write")
    app = create_app(seeded.settings, ledger=seeded)
    spec = app.openapi()
    targets = _targets(spec)
    assert len(targets) >= 30, targets

    async with seeded.db.engine.connect() as conn:
        before = await table_digests(conn, seeded.db.dialect_name)
    assert sum(t["rows"] for t in before.values()) > 500

    problems: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {key}"},
    ) as http:
        for path, where, name in targets:
            for payload in PAYLOADS:
                if where == "path":
                    if "/" in payload:
                        continue  # would route elsewhere, not reach the parameter
                    url = path.replace("{" + name + "}", quote(payload, safe=""))
                    url = _other_path_params(url)
                    params: dict[str, str] = {}
                else:
                    url = _other_path_params(path)
                    params = {name: payload}
                response = await http.get(url, params=params)
                label = f"GET {path} {where}:{name}={payload[:30]!r}"
                if response.status_code >= 500:
                    problems.append(f"{label}: {response.status_code} {response.text[:200]}")
                elif response.status_code == 200 and not _answered_nothing(response):
                    problems.append(f"{label}: matched rows {response.text[:200]}")
                elif response.status_code not in (200, 404, 422):
                    problems.append(f"{label}: {response.status_code}")

    async with seeded.db.engine.connect() as conn:
        after = await table_digests(conn, seeded.db.dialect_name)
    assert not problems, "\n".join(problems)
    changed = [t for t in before if before[t] != after[t]]
    assert not changed, f"tables changed by read requests: {changed}"


def _other_path_params(path: str) -> str:
    """Fill any remaining path parameters with a value that matches nothing."""
    return re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
