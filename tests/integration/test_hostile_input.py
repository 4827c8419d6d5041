"""What one request must never do: store a value that cannot read back, back up or restore.

Each test sends the hostile request a user reported (NaN inside free-form JSON, a lone
surrogate, NUL behind an upper-case ``Content-Type``, fitness near the largest double, a
number for a boolean or a date-time) and asserts the 422 names the field, on both backends,
over HTTP and through the in-process :class:`~evalledger.Ledger` alike; and that what is
stored afterwards still backs up and exports.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from evalledger.errors import ValidationFailed
from evalledger.ops import backup
from evalledger.sdk.ledger import Ledger

CUSTODY = "/api/agent-metrics/guardian/custody-test"


def raw(body: str) -> dict[str, Any]:
    """Send ``body`` as written (NaN literals, ``\\ud800`` escapes), the way a hostile client
    would: httpx's ``json=`` would refuse to encode such values."""
    return {"content": body.encode(), "headers": {"Content-Type": "application/json"}}


def locs(response: httpx.Response) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


#: What the in-process ledger raises for a value its schema refuses: Pydantic's error, or the
#: project's ValidationFailed once the SDK's error boundary translates it.
REFUSED = (ValidationError, ValidationFailed)


def refused_fields(exc: BaseException) -> list[str]:
    """The dotted fields an in-process refusal names, whichever of :data:`REFUSED` it is."""
    if isinstance(exc, ValidationError):
        return [".".join(str(p) for p in e["loc"]) for e in exc.errors()]
    found = getattr(exc, "errors", None)
    return [f for f, _ in found] if isinstance(found, list) else [str(getattr(exc, "field", ""))]


async def assert_still_backs_up(ledger: Ledger, tmp_path: Path, api: httpx.AsyncClient) -> None:
    """The database can still be backed up and exported, and lists answer."""
    path = await backup.create(ledger.db, tmp_path / "backups")
    assert backup.read_manifest(path)["tables"]
    export = await api.get("/api/v1/assessments/export")
    assert export.status_code == 200, export.text
    for route in ("/api/v1/claims", "/api/v1/audit-log", "/api/agent-metrics/"):
        assert (await api.get(route)).status_code == 200, route


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_in_free_form_json_are_refused(
    api: httpx.AsyncClient, seeded: Ledger, tmp_path: Path, number: str
) -> None:
    body = f'{{"passed": true, "score": 90, "evaluation": {{"x": {number}}}}}'
    response = await api.post(CUSTODY, **raw(body))
    assert response.status_code == 422, response.text
    assert ["body", "evaluation", "x"] in locs(response)
    claim = f'{{"external_id": "c1", "content": "x", "metadata": {{"a": [1, {number}]}}}}'
    response = await api.post("/api/v1/claims", **raw(claim))
    assert response.status_code == 422, response.text
    assert ["body", "metadata", "a", 1] in locs(response)
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0
    await assert_still_backs_up(seeded, tmp_path, api)


@pytest.mark.parametrize(
    ("route", "body", "loc"),
    [
        ("/api/v1/claims", '{"external_id": "c1", "content": "a\\ud800b"}', ["body", "content"]),
        (
            "/api/v1/claims",
            '{"external_id": "c1", "content": "x", "metadata": {"k": ["\\udfff"]}}',
            ["body", "metadata", "k", 0],
        ),
        (
            "/api/v1/claims",
            '{"external_id": "c1", "content": "x", "metadata": {"\\ud800": 1}}',
            ["body", "metadata", "\\ud800"],
        ),
        (CUSTODY, '{"passed": true, "score": 1, "scenario": "\\ud83d"}', ["body", "scenario"]),
        ("/api/v1/students", '{"name": "\\udc00"}', ["body", "name"]),
    ],
)
async def test_lone_surrogates_are_refused_and_nothing_is_written(
    api: httpx.AsyncClient, seeded: Ledger, tmp_path: Path, route: str, body: str, loc: list[Any]
) -> None:
    response = await api.post(route, **raw(body))
    assert response.status_code == 422, response.text
    assert loc in locs(response)
    # Nothing was committed: the same claim with valid text is accepted (not a 409).
    retry = await api.post("/api/v1/claims", json={"external_id": "c1", "content": "ok"})
    assert retry.status_code in (200, 201), retry.text
    await assert_still_backs_up(seeded, tmp_path, api)


@pytest.mark.parametrize(
    ("claim", "loc"),
    [
        ({"external_id": "c2", "content": "a\x00b"}, ("content",)),
        ({"external_id": "c2", "content": "a\ud800b"}, ("content",)),
        ({"external_id": "c2", "content": "x", "metadata": {"m": float("nan")}}, ("metadata", "m")),
        (
            {"external_id": "c2", "content": "x", "metadata": {"m": {"n": "\x00"}}},
            ("metadata", "m", "n"),
        ),
        ({"external_id": "c2", "content": "x", "metadata": {"m": 1.79e308}}, ("metadata", "m")),
    ],
)
async def test_the_in_process_ledger_refuses_the_same_values(
    ledger: Ledger, claim: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    """On PostgreSQL this used to raise sqlalchemy's raw ``DBAPIError`` (NUL) or store the
    value (SQLite); now it is the schema's validation error naming the field."""
    with pytest.raises(REFUSED) as caught:
        await ledger.create_claim(claim)
    assert refused_fields(caught.value) == [".".join(map(str, loc))]
    assert (await ledger.list_claims()).items == []


async def test_ledger_refuses_nan_in_custody_results_and_backups_keep_working(
    seeded: Ledger, tmp_path: Path
) -> None:
    with pytest.raises(REFUSED, match="NaN"):
        await seeded.update_custody_test_result(
            "guardian", {"passed": True, "score": 95, "evaluation": {"x": float("nan")}}
        )
    await seeded.update_custody_test_result(
        "guardian", {"passed": True, "score": 95, "evaluation": {"x": 0.5}}
    )
    path = await backup.create(seeded.db, tmp_path)
    assert backup.read_manifest(path)["tables"]["custody_test_results"]["rows"] == 1


@pytest.mark.parametrize(
    "body",
    [
        # wrong type in one field, lone surrogate in another: the 422 used to echo the input
        '{"external_id": 5, "content": "\\ud800"}',
        '{"external_id": "c", "content": "x", "\\ud800": 1}',  # unknown field named badly
        '{"external_id": ["\\ud800"], "content": "x"}',
        '{"external_id": NaN, "content": "x"}',
        '{"external_id": "c", "content": {"x": Infinity}}',
        '["\\ud800", NaN]',
        '{"external_id": "c", "content": "x"',  # truncated JSON
    ],
)
async def test_error_answers_never_fail_to_encode(api: httpx.AsyncClient, body: str) -> None:
    response = await api.post("/api/v1/claims", **raw(body))
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    # The connection (and the app) stay healthy.
    assert (await api.get("/api/v1/claims")).status_code == 200


CONTENT_TYPES = [
    "application/JSON",
    "Application/Json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.evalledger+json",
    "application/json ; charset=UTF-8",
    "application/problem+JSON",
]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_no_content_type_spelling_skips_the_body_guard(
    api: httpx.AsyncClient, seeded: Ledger, content_type: str
) -> None:
    headers = {"Content-Type": content_type}
    nul = json.dumps({"external_id": "c1", "content": "a\x00b"})
    response = await api.post("/api/v1/claims", content=nul.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert "NUL" in response.text
    deep = '{"external_id": "c1", "content": "x", "metadata": {"a": ' + "[" * 40 + "]" * 40 + "}}"
    response = await api.post("/api/v1/claims", content=deep.encode(), headers=headers)
    assert response.status_code == 422, response.text
    assert "deeper" in response.text
    assert (await seeded.list_claims()).items == []


async def test_fitness_is_bounded_and_generation_stats_survive_the_bound(
    api: httpx.AsyncClient,
) -> None:
    for fitness in (1.79e308, -1.79e308, 1e151):
        response = await api.post(
            "/api/v1/evolution/agents", json={"name": "a", "fitness": fitness}
        )
        assert response.status_code == 422, response.text
        assert ["body", "fitness"] in locs(response)
    ids = []
    for fitness in (1e150, 1e150, -1e150, 1e150):
        response = await api.post(
            "/api/v1/evolution/agents", json={"name": "a", "generation": 0, "fitness": fitness}
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    response = await api.put(f"/api/v1/evolution/agents/{ids[0]}/fitness", json={"fitness": 1e300})
    assert response.status_code == 422, response.text
    response = await api.post(
        f"/api/v1/evolution/agents/{ids[0]}/metrics", json={"name": "m", "value": -1e200}
    )
    assert response.status_code == 422, response.text
    stats = await api.get("/api/v1/evolution/generations/stats")
    assert stats.status_code == 200, stats.text
    (generation,) = stats.json()
    assert generation["max_fitness"] == 1e150 and generation["min_fitness"] == -1e150
    assert generation["avg_fitness"] == pytest.approx(0.5e150)


async def test_integers_are_not_booleans(api: httpx.AsyncClient, seeded: Ledger) -> None:
    for validity in (0, 1, "true", "yes", None):
        response = await api.post(
            "/api/v1/training-data",
            json={"framework": "f", "claim_text": "t", "evidence": {}, "validity": validity},
        )
        assert response.status_code == 422, (validity, response.text)
        assert ["body", "validity"] in locs(response)
    response = await api.post(CUSTODY, json={"passed": 1, "score": 1})
    assert response.status_code == 422 and ["body", "passed"] in locs(response)
    ok = await api.post(
        "/api/v1/training-data",
        json={"framework": "f", "claim_text": "t", "evidence": {}, "validity": False},
    )
    assert ok.status_code == 201, ok.text


@pytest.mark.parametrize("stamp", [1700000000, 1700000000.5, "1700000000"])
async def test_epoch_numbers_are_not_timestamps(
    api: httpx.AsyncClient, seeded: Ledger, stamp: Any
) -> None:
    response = await api.post(CUSTODY, json={"passed": True, "score": 1, "timestamp": stamp})
    assert response.status_code == 422, response.text
    assert ["body", "timestamp"] in locs(response)
    student = {
        "id": str(uuid.uuid4()),
        "name": "s",
        "created_at": stamp,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    response = await api.post(
        "/api/v1/assessments/import", json={"students": [student], "assessments": []}
    )
    assert response.status_code == 422, response.text
    for query in (
        "/api/v1/events?start=1700000000",
        "/api/v1/audit-log?since=1700000000",
        "/api/v1/assessments?start_date=1700000000",
        "/api/v1/assessments/export?end_date=1700000000.5",
    ):
        assert (await api.get(query)).status_code == 422, query
    assert (await seeded.get_custody_metrics("guardian")).total_tests_given == 0


async def test_the_rule_holds_for_negative_zero_and_large_json_floats(
    api: httpx.AsyncClient,
) -> None:
    """Numbers that the two backends would spell differently are stored in one spelling:
    ``-0.0`` as ``0.0`` (SQLite drops the sign) and a JSON float of 1e16 or more as the
    integer it equals (PostgreSQL's jsonb reads it back so)."""
    body = {"external_id": "n", "content": "x", "metadata": {"z": -0.0, "big": 1e20, "f": 0.1}}
    created = await api.post("/api/v1/claims", json=body)
    assert created.status_code == 201, created.text
    metadata = (await api.get("/api/v1/claims/n")).json()["metadata"]
    assert (
        json.dumps(metadata, sort_keys=True) == '{"big": 100000000000000000000, "f": 0.1, "z": 0.0}'
    )


async def test_the_in_process_ledger_bounds_fitness_too(ledger: Ledger) -> None:
    agent = await ledger.create_evolution_agent({"name": "a", "generation": 0, "fitness": 1e150})
    with pytest.raises(REFUSED) as caught:
        await ledger.set_fitness(agent.id, 1.79e308)
    assert refused_fields(caught.value) == ["fitness"]
    await ledger.create_evolution_agent({"name": "b", "generation": 0, "fitness": 1e150})
    (stats,) = await ledger.generation_stats()
    assert stats.max_fitness == 1e150 and stats.avg_fitness == pytest.approx(1e150)


def _date_time_params(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """``(path, name)`` of every query parameter the OpenAPI declares as a date-time."""
    out = []
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for param in op.get("parameters", []):
                schemas = [param["schema"], *param["schema"].get("anyOf", [])]
                if param["in"] == "query" and any(s.get("format") == "date-time" for s in schemas):
                    out.append((path, param["name"]))
    return out


async def test_no_date_time_query_parameter_takes_epoch_seconds(
    api: httpx.AsyncClient, seeded: Ledger
) -> None:
    from evalledger.api.app import create_app

    params = _date_time_params(create_app(seeded.settings, ledger=seeded).openapi())
    assert len(params) >= 4, params
    for path, name in params:
        url = path.replace("{agent_type}", "guardian")
        for epoch in ("1700000000", "1700000000.5"):
            response = await api.get(url, params={name: epoch})
            assert response.status_code == 422, (path, name, response.text)
            assert ["query", name] in locs(response), (path, name, response.text)


def test_the_openapi_states_the_number_bound(tmp_path: Path) -> None:
    """Every number a request body takes is documented within ±1e150 (or tighter)."""
    from evalledger.api.app import create_app
    from evalledger.config import load_settings
    from evalledger.schema.storable import NUMBER_BOUND

    spec = create_app(load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    unbounded = []
    checked = 0
    for name, schema in spec.openapi()["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            for option in (prop, *prop.get("anyOf", [])):
                # Request models forbid unknown fields; answers do not.
                if (
                    option.get("type") != "number"
                    or schema.get("additionalProperties") is not False
                ):
                    continue
                checked += 1
                low = option.get("minimum", option.get("exclusiveMinimum"))
                high = option.get("maximum", option.get("exclusiveMaximum"))
                if low is None or high is None or low < -NUMBER_BOUND or high > NUMBER_BOUND:
                    unbounded.append(f"{name}.{field}")
    assert checked >= 20 and not unbounded, unbounded
