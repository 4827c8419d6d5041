"""Property: no hostile request breaks a project's backups, restores, exports or reads.

Hypothesis draws, for every write route of the API, a valid body with one value replaced by
something hostile (NUL, lone surrogates, NaN, ±Infinity, ±1.8e308, numbers at and past the
1e150 bound, deep (1200 levels) and wide JSON, 1 MB strings, numbers for booleans and
date-times), sent under every spelling of the JSON content type. No answer may be a 5xx.
Afterwards the database (what the accepted writes stored) must back up logically, restore
into the OTHER backend and verify there (every table's count and checksum equal the
manifest's), export its assessments, and answer every GET route of the API without a 5xx.

:data:`ROUTES` lists every write route with a valid body; the first test proves it covers
every POST/PUT/PATCH/DELETE route of the OpenAPI, so a new route must join the property.
Hypothesis is used as a derandomised generator (a fixed, bounded number of examples per
route, :data:`EXAMPLES`), so the run is repeatable and takes well under a minute a backend.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalledger.api.app import create_app
from evalledger.ops import backup, restore
from evalledger.ops.canonical import table_digests
from evalledger.sdk.ledger import Ledger
from tests.conftest import BACKENDS, adrop_pg_database, make_key
from tests.integration.test_backup_restore import fresh_database

EXAMPLES = int(os.environ.get("EVALLEDGER_HOSTILE_EXAMPLES", "30"))
_counter = itertools.count()


def n() -> int:
    """A fresh number, so bodies with client-chosen names do not collide (409)."""
    return next(_counter)


Ctx = dict[str, str]
Body = Callable[[Ctx], Any]

#: Every write route with a body that is valid for the context ``setup`` creates.
ROUTES: dict[tuple[str, str], Body] = {
    ("POST", "/api/agent-metrics/bulk-update"): lambda c: {
        "updates": {"guardian": {"status": "active", "config": {"k": "v"}}}
    },
    ("PUT", "/api/agent-metrics/{agent_type}"): lambda c: {
        "status": "active",
        "is_active": True,
        "capabilities": {"a": [1, 2.5]},
        "config": {"b": "x"},
    },
    ("PATCH", "/api/agent-metrics/{agent_type}"): lambda c: {
        "priority": "high",
        "capabilities": {"c": [3]},
        "config": {"d": {"e": "f"}},
    },
    ("POST", "/api/agent-metrics/{agent_type}/custody-test"): lambda c: {
        "passed": True,
        "score": 50,
        "duration": 1.5,
        "timestamp": "2026-01-01T00:00:00Z",
        "test_id": f"t{n()}",
        "scenario": "s",
        "ai_response": "r",
        "ai_responses": ["r"],
        "evaluation": {"x": 1.0, "y": "z"},
        "explainability_data": {"e": [1]},
        "threshold": 40.0,
    },
    ("POST", "/api/agent-metrics/{agent_type}/learning"): lambda c: {
        "learning_score_delta": 1.0,
        "successes": 1,
        "patterns": ["p"],
        "suggestions": [{"s": 1}],
    },
    ("DELETE", "/api/agent-metrics/{agent_type}/reset"): lambda c: None,
    ("POST", "/api/v1/custody-tests:batch"): lambda c: {
        "results": [
            {"agent_type": "sandbox", "passed": False, "score": 10, "evaluation": {"a": "b"}}
        ]
    },
    ("POST", "/api/v1/students"): lambda c: {"name": "s", "metadata": {"m": "v"}},
    ("POST", "/api/v1/assessments/backup"): lambda c: None,
    ("POST", "/api/v1/assessments/import"): lambda c: {
        "students": [],
        "assessments": [
            {
                "id": f"00000000-0000-4000-8000-{n():012d}",
                "student_id": c["student_id"],
                "skill_type": "empathy",
                "score": 0.5,
                "confidence": 0.5,
                "reasoning": "r",
                "feature_importance": {"f": 0.1},
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            }
        ],
    },
    ("POST", "/api/v1/assessments/{student_id}"): lambda c: {
        "skill_type": "empathy",
        "score": 0.5,
        "confidence": 0.5,
        "reasoning": "r",
        "recommendations": "q",
        "feature_importance": {"f": 0.1},
        "evidence": [
            {"evidence_type": "linguistic", "source": "s", "content": "c", "relevance_score": 0.5}
        ],
    },
    ("POST", "/api/v1/integrity/fix-orphans"): lambda c: None,
    ("POST", "/api/v1/events"): lambda c: {
        "event_type": "olympics",
        "participants": ["guardian", "imperium"],
        "questions": ["q"],
        "answers": {"guardian": "a"},
        "scores": {"guardian": 5.0},
        "xp_awarded": {"guardian": 1},
        "learning_awarded": {"guardian": 1.0},
        "penalties": {"imperium": 1},
        "winners": ["guardian"],
        "event_metadata": {"round": 1},
    },
    ("POST", "/api/v1/collaborative-tests"): lambda c: {
        "test_id": f"ct{n()}",
        "ai_responses": {"r": 1},
        "participants": [
            {"agent_type": "guardian", "passed": True, "score": 5, "evaluation": {"e": 1}}
        ],
    },
    ("POST", "/api/v1/olympus-treaty/{agent_type}"): lambda c: {
        "score": 50,
        "threshold": 40,
        "scenario": "s",
        "evaluation": {"e": 1},
        "explainability_data": [1],
    },
    ("POST", "/api/v1/consensus/nodes"): lambda c: {"name": f"n{n()}", "metadata": {"m": 1}},
    ("POST", "/api/v1/consensus/proposals"): lambda c: {
        "name": f"p{n()}",
        "description": "d",
        "choices": ["a", "b"],
        "quorum": 1,
    },
    ("POST", "/api/v1/consensus/proposals/{proposal_id}/votes"): lambda c: {
        "node": c["node"],
        "choice": "a",
    },
    ("POST", "/api/v1/consensus/proposals/{proposal_id}/close"): lambda c: None,
    ("POST", "/api/v1/evolution/agents"): lambda c: {
        "name": "a",
        "description": "d",
        "generation": 1,
        "fitness": 1.5,
        "genome": {"g": [1, 2]},
    },
    ("PUT", "/api/v1/evolution/agents/{agent_id}/fitness"): lambda c: {"fitness": 2.0},
    ("POST", "/api/v1/evolution/agents/{agent_id}/metrics"): lambda c: {"name": "m", "value": 1.0},
    ("POST", "/api/v1/evolution/agents/{agent_id}/snapshots"): lambda c: {"state": {"s": 1}},
    ("POST", "/api/v1/frameworks/executions"): lambda c: {"framework": "f", "input": {"a": 1}},
    ("POST", "/api/v1/frameworks/executions/{execution_id}/finish"): lambda c: {
        "status": "completed",
        "output": {"o": 1},
        "error": "e",
    },
    ("POST", "/api/v1/frameworks/metrics"): lambda c: {"framework": "f", "name": "m", "value": 1.0},
    ("PUT", "/api/v1/frameworks/{framework}/configuration"): lambda c: {"config": {"a": 1}},
    ("POST", "/api/v1/frameworks/{framework}/state"): lambda c: {"state": {"a": 1}},
    ("POST", "/api/v1/runs"): lambda c: {
        "external_id": f"r{n()}",
        "task": "t",
        "model": "m",
        "tags": ["a"],
        "metadata": {"k": [1, 2.5]},
        "metrics": {"s": {"accuracy": 0.5}},
        "samples": [
            {
                "sample_id": "1",
                "input": {"q": "x"},
                "output": "y",
                "scores": {"s": {"value": 1.0, "raw": "C", "explanation": "e"}},
            }
        ],
    },
    # The body is a log file; a JSON document is not one (refused naming the file).
    ("POST", "/api/v1/runs/import"): lambda c: {"not": "a log"},
    ("POST", "/api/v1/power/nodes"): lambda c: {
        "name": f"p{n()}",
        "description": "d",
        "power": 1.0,
    },
    ("PUT", "/api/v1/power/relations"): lambda c: {"source": "p1", "target": "p2", "weight": 1.0},
    ("POST", "/api/v1/power/analysis/influence"): lambda c: None,
    ("POST", "/api/v1/power/transfers"): lambda c: {
        "source": "p1",
        "target": "p2",
        "amount": 1.0,
        "reason": "r",
    },
    ("POST", "/api/v1/claims"): lambda c: {
        "external_id": f"c{n()}",
        "content": "x",
        "claim_type": "t",
        "source": "s",
        "metadata": {"m": 1},
    },
    ("POST", "/api/v1/claims/{claim_id}/consensus"): lambda c: None,
    ("POST", "/api/v1/verifications"): lambda c: {
        "claim_id": c["claim_id"],
        "framework": f"f{n()}",
        "result": {"valid": True},
        "confidence": 0.5,
        "evidence": {"e": 1},
        "model_version": "v",
    },
    ("POST", "/api/v1/verification-requests"): lambda c: {
        "request_id": f"r{n()}",
        "client_id": "c",
        "content": "x",
        "frameworks": ["f"],
    },
    ("PATCH", "/api/v1/verification-requests/{request_id}"): lambda c: {"status": "processing"},
    ("POST", "/api/v1/training-data"): lambda c: {
        "framework": "f",
        "claim_text": "t",
        "evidence": {"e": 1},
        "validity": True,
        "confidence": 0.5,
        "metadata": {"m": 1},
    },
    ("POST", "/api/v1/training-data/batches"): lambda c: {"framework": "f", "size": 1},
    ("POST", "/api/v1/checkpoints"): lambda c: {
        "model_name": "m",
        "version": f"v{n()}",
        "checkpoint_path": "/p",
        "metrics": {"acc": 0.5},
        "training_config": {"lr": 0.1},
    },
    ("POST", "/api/v1/checkpoints/{checkpoint_id}/activate"): lambda c: None,
    ("POST", "/api/v1/service-health/heartbeats"): lambda c: {
        "service_name": "s",
        "instance_id": f"i{n()}",
        "metadata": {"m": 1},
    },
}

#: Numbers Python cannot hold as written (1.8e308 is past the largest double): they are
#: spliced into the JSON text in place of these markers.
RAW_NUMBERS = {
    "@@1.8e308@@": "1.8e308",
    "@@-1.8e308@@": "-1.8e308",
    "@@1e400@@": "1e400",
    "@@5000-digits@@": "9" * 5000,  # past Python's int-parsing limit (4300 digits)
    # JSON nested 1200 deep: past Python's recursion limit, so it is spliced in as text.
    "@@deep-1200@@": '{"d": [' * 600 + '"bottom"' + "]}" * 600,
}


def deep(levels: int) -> Any:
    value: Any = "bottom"
    for i in range(levels):
        value = [value] if i % 2 else {"d": value}
    return value


HOSTILE: list[Any] = [
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ud83d",
    {"k": "\ud800"},
    {"\ud800": 1},
    {"nul\x00": 1},
    ["\x00"],
    math.nan,
    math.inf,
    -math.inf,
    {"n": math.nan},
    [math.inf],
    *RAW_NUMBERS,
    1.79e308,
    -1.79e308,
    1e151,
    1e150,
    -1e150,
    1e16,
    -0.0,
    {"z": -0.0, "big": 1e20},
    10**200,
    2**63,
    -(2**63) - 1,
    deep(40),
    deep(20),
    {f"k{i}": i for i in range(2000)},
    "x" * 1_000_000,
    list(range(5000)),
    "",
    True,
    0,
    1700000000,
    "1700000000",
    "2026-01-01T00:00:00Z",
    None,
]

CONTENT_TYPES = [
    "application/json",
    "application/JSON",
    "Application/Json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.evalledger+json",
    "application/json ; charset=UTF-8",
    "text/plain",
    "",
]


def slots(body: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in ``body`` a hostile value can go: each value, and a new key of each
    object (an unknown field at the top, a new entry in free-form JSON below)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(body, dict):
        out.append((*prefix, "hostile"))
        for key, value in body.items():
            out.append((*prefix, key))
            out.extend(slots(value, (*prefix, key)))
    elif isinstance(body, list):
        for i, value in enumerate(body[:1]):
            out.append((*prefix, i))
            out.extend(slots(value, (*prefix, i)))
    return out


def place(body: Any, slot: tuple[Any, ...], value: Any) -> Any:
    if body is None or not slot:
        return value
    target = body
    for part in slot[:-1]:
        target = target[part]
    target[slot[-1]] = value
    return body


def encode(body: Any) -> bytes:
    """JSON text as a hostile client writes it: NaN/Infinity literals, ``\\ud800`` escapes,
    numbers past the double range."""
    text = json.dumps(body, allow_nan=True)
    for marker, number in RAW_NUMBERS.items():
        text = text.replace(f'"{marker}"', number)
    return text.encode()


def examples(route: tuple[str, str], ctx: Ctx) -> list[tuple[Any, str]]:
    """``EXAMPLES`` (body, content type) pairs for ``route``, drawn by Hypothesis."""
    template = ROUTES[route](ctx)
    places = slots(template) or [()]
    drawn: list[tuple[Any, str]] = []

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        slot=st.sampled_from(places),
        value=st.sampled_from(HOSTILE),
        content_type=st.sampled_from(CONTENT_TYPES),
    )
    def draw(slot: tuple[Any, ...], value: Any, content_type: str) -> None:
        body = place(ROUTES[route](ctx), slot, json.loads(json.dumps(value, allow_nan=True)))
        drawn.append((body, content_type))

    draw()
    return drawn


NOTHING = "00000000-0000-0000-0000-000000000000"


def fill(path: str, ctx: Ctx) -> str:
    """``path`` with its parameters from ``ctx`` (an id that matches nothing otherwise)."""
    return re.sub(r"\{([^}]+)\}", lambda m: ctx.get(m.group(1), NOTHING), path)


async def setup(http: httpx.AsyncClient) -> Ctx:
    """The rows the path parameters of the write routes name."""

    async def made(path: str, body: Any) -> dict[str, Any]:
        response = await http.post(path, json=body)
        assert response.status_code in (200, 201), (path, response.text)
        return dict(response.json())

    node = (await made("/api/v1/consensus/nodes", {"name": "voter"}))["name"]
    proposal = await made(
        "/api/v1/consensus/proposals", {"name": "prop", "choices": ["a", "b"], "quorum": 1000}
    )
    claim = await made("/api/v1/claims", {"external_id": "base", "content": "x"})
    request = await made(
        "/api/v1/verification-requests",
        {"request_id": "base", "client_id": "c", "content": "x", "frameworks": ["f"]},
    )
    for name in ("p1", "p2"):
        await made("/api/v1/power/nodes", {"name": name, "power": 10})
    return {
        "agent_type": "guardian",
        "node": node,
        "proposal_id": str(proposal["id"]),
        "claim_id": "base",
        "claim_uuid": str(claim["id"]),
        "request_id": str(request["request_id"]),
        "student_id": str((await made("/api/v1/students", {"name": "s"}))["id"]),
        "agent_id": str((await made("/api/v1/evolution/agents", {"name": "e"}))["id"]),
        "execution_id": str(
            (await made("/api/v1/frameworks/executions", {"framework": "f"}))["id"]
        ),
        "framework": "f",
        "checkpoint_id": str(
            (
                await made(
                    "/api/v1/checkpoints",
                    {"model_name": "m", "version": "base", "checkpoint_path": "/p", "metrics": {}},
                )
            )["id"]
        ),
    }


def write_routes(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }


def test_the_table_covers_every_write_route(tmp_path: Path) -> None:
    from evalledger.config import load_settings

    app = create_app(load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    assert write_routes(app.openapi()) == set(ROUTES)


async def first_differences(source: Any, target: Any) -> list[str]:
    """The first canonical row of each table that differs between two databases."""
    from evalledger.ops.canonical import backup_tables, canonical_line, stream_rows

    out = []
    for table in backup_tables():
        lines = []
        for db in (source, target):
            async with backup.snapshot(db) as conn:
                lines.append(
                    [canonical_line(r) async for r in stream_rows(conn, table, db.dialect_name)]
                )
        for a, b in zip(*lines, strict=False):
            if a != b:
                out.append(f"{table.name}:\n  {a[:600]}\n  {b[:600]}")
                break
    return out


def other_backend(backend: str) -> str:
    others = [b for b in BACKENDS if b != backend]
    return others[0] if others else backend


async def test_hostile_writes_never_break_backups_restores_exports_or_reads(
    seeded: Ledger, backend: str, tmp_path: Path
) -> None:
    key = await make_key(seeded, "write")
    app = create_app(seeded.settings, ledger=seeded)
    spec = app.openapi()
    problems: list[str] = []
    accepted = 0
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://t",
        headers={"Authorization": f"Bearer {key}"},
    ) as http:
        ctx = await setup(http)
        for route in sorted(ROUTES):
            method, path = route
            for body, content_type in examples(route, ctx):
                headers = {"Content-Type": content_type} if content_type else {}
                response = await http.request(
                    method, fill(path, ctx), content=encode(body), headers=headers
                )
                if response.status_code >= 500:
                    problems.append(
                        f"{method} {path} [{content_type}] {encode(body)[:200]!r}: "
                        f"{response.status_code} {response.text[:300]}"
                    )
                elif response.status_code < 300:
                    accepted += 1
        assert not problems, "\n".join(problems[:20])
        assert accepted >= len(ROUTES), "the property needs accepted writes to back up"

        # Every GET route still answers (list routes and the ones naming the rows above).
        for path, ops in spec["paths"].items():
            if "get" not in ops or path.startswith("/dashboard"):
                continue
            response = await http.get(fill(path, ctx))
            if response.status_code >= 500:
                problems.append(f"GET {path}: {response.status_code} {response.text[:300]}")
        export = await http.get("/api/v1/assessments/export")
        if export.status_code != 200:
            problems.append(f"export: {export.status_code} {export.text[:300]}")
    assert not problems, "\n".join(problems)

    # A logical backup restores into the other backend and verifies against its manifest.
    path = await backup.create(seeded.db, tmp_path / "backups")
    manifest = backup.read_manifest(path)
    db, name = await fresh_database(other_backend(backend), tmp_path)
    try:
        result = await restore.restore(db, path)
        if not result.verified:
            pytest.fail(f"{result.mismatches}: {await first_differences(seeded.db, db)}")
        async with backup.snapshot(db) as conn:
            assert await table_digests(conn, db.dialect_name) == manifest["tables"]
    finally:
        await db.dispose()
        if name:
            await adrop_pg_database(name)
