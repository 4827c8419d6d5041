"""The API's input contract, read from its own OpenAPI: every input is bounded.

A route that takes an unbounded integer, string or list is where fuzzing finds 500s and
memory blow-ups; this test finds it first, for every operation of every domain, so a new
route cannot forget the shared types of :mod:`evalledger.schema.types`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from evalledger.api.app import create_app
from evalledger.config import load_settings
from evalledger.schema.types import INT64_MAX, MAX_LIST_ITEMS, MAX_PAGE_SIZE
from evalledger.sdk.ledger import Ledger

#: Free-form JSON objects (metadata, configuration, evidence) are bounded by the body size and
#: JSON depth limits instead of per-key schemas.
FREE_FORM = ({}, {"type": "object"}, {"additionalProperties": True, "type": "object"})


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return create_app(load_settings(database_url="sqlite://")).openapi()


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _unbounded(spec: dict[str, Any], schema: dict[str, Any], where: str, out: list[str]) -> None:
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            _unbounded(spec, sub, where, out)
    kind = schema.get("type")
    if kind == "integer":
        if "maximum" not in schema and "exclusiveMaximum" not in schema:
            out.append(f"{where}: integer without maximum")
        if "minimum" not in schema and "exclusiveMinimum" not in schema:
            out.append(f"{where}: integer without minimum")
        if schema.get("maximum", 0) > INT64_MAX:
            out.append(f"{where}: integer maximum beyond 64 bits")
    elif kind == "string":
        if not ({"maxLength", "enum", "const"} & schema.keys()) and schema.get("format") not in (
            "uuid",
            "date-time",
            "date",
        ):
            out.append(f"{where}: string without maxLength")
    elif kind == "array":
        if "maxItems" not in schema:
            out.append(f"{where}: array without maxItems")
        elif schema["maxItems"] > MAX_LIST_ITEMS:
            out.append(f"{where}: array maxItems above {MAX_LIST_ITEMS}")
        _unbounded(spec, schema.get("items", {}), f"{where}[]", out)
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            _unbounded(spec, sub, f"{where}.{name}", out)


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    ]


def test_every_input_is_bounded(openapi: dict[str, Any]) -> None:
    problems: list[str] = []
    for method, path, op in _operations(openapi):
        for param in op.get("parameters", []):
            where = f"{method} {path} {param['in']}:{param['name']}"
            _unbounded(openapi, param["schema"], where, problems)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            _unbounded(openapi, body["schema"], f"{method} {path} body", problems)
    assert not problems, "\n".join(problems)


def test_every_page_size_is_capped(openapi: dict[str, Any]) -> None:
    seen = 0
    for method, path, op in _operations(openapi):
        for param in op.get("parameters", []):
            if param["name"] != "limit":
                continue
            seen += 1
            schema = param["schema"]
            bounds = [schema, *schema.get("anyOf", [])]
            maxima = [s["maximum"] for s in bounds if "maximum" in s]
            assert maxima and max(maxima) <= MAX_PAGE_SIZE, f"{method} {path}: limit uncapped"
    assert seen >= 10


async def test_refusals_name_the_field(ledger: Ledger) -> None:
    app = create_app(ledger.settings, ledger=ledger, no_auth=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        too_big = await http.get("/api/v1/evolution/generations/37999787519285663941787648/best")
        assert too_big.status_code == 422
        assert "generation" in too_big.text
        page = await http.get("/api/v1/claims", params={"limit": MAX_PAGE_SIZE + 1})
        assert page.status_code == 422
        assert "limit" in page.text
        typo = await http.get("/api/v1/claims", params={"limt": 5})
        assert typo.status_code == 422
        assert "limt" in typo.text
        twice = await http.get("/api/v1/claims?claim_type=a&claim_type=b")
        assert twice.status_code == 422
        assert "claim_type" in twice.text
        body = {"results": [{"agent_type": "guardian", "passed": True}] * (MAX_LIST_ITEMS + 1)}
        batch = await http.post("/api/v1/custody-tests:batch", json=body)
        assert batch.status_code == 422
        assert "results" in batch.text
        boolean = await http.post("/api/v1/power/nodes", json={"name": "n1", "power": True})
        assert boolean.status_code == 422
        assert "power" in boolean.text
        deep = await http.post(
            "/api/v1/claims",
            content=b"[" * 100 + b"]" * 100,
            headers={"content-type": "application/json"},
        )
        assert deep.status_code == 422
        huge = await http.post(
            "/api/v1/claims",
            content=b" " * (ledger.settings.max_body_bytes + 1),
            headers={"content-type": "application/json"},
        )
        assert huge.status_code == 413
