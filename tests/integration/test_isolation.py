"""Tenant isolation and key scopes for every route, enumerated from the app's own OpenAPI.

Project B is filled with the demo data generator (every domain); project A (the default
project) holds only its default agents. Then, with A's keys:

- every GET that names one of B's rows (by id, name, agent type...) answers 404, or an empty
  answer that carries none of B's data, and no list ever includes B's rows;
- writes aimed at B's rows change nothing of B's;
- a read key gets 403 on every POST/PUT/PATCH/DELETE;
- a revoked key and a malformed key get 401 on every route but ``/health``.

A new route is covered without editing this file, unless it takes a new kind of path
parameter (then :data:`PATH_SOURCES` must say where B's values for it come from).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from evalledger.api.app import create_app
from evalledger.db.registry import metadata
from evalledger.demo.generator import generate
from evalledger.sdk.ledger import Ledger
from evalledger.tenancy import service as tenancy
from evalledger.uow import UnitOfWork
from tests.conftest import make_key

#: Where project B's values for each kind of path parameter come from: ``(table, column)``.
PATH_SOURCES: dict[str, tuple[str, str]] = {
    "agent_type": ("agent_metrics", "agent_type"),
    "student_id": ("students", "id"),
    "assessment_id": ("skill_assessments", "id"),
    "event_id": ("olympic_events", "id"),
    "proposal_id": ("consensus_proposals", "id"),
    "agent_id": ("evolution_agents", "id"),
    "generation": ("evolution_agents", "generation"),
    "execution_id": ("framework_executions", "id"),
    "framework": ("framework_executions", "framework"),
    "name": ("power_nodes", "name"),
    "claim_id": ("claims", "external_id"),
    "request_id": ("verification_requests", "request_id"),
    "checkpoint_id": ("model_checkpoints", "id"),
    "run_id": ("eval_runs", "id"),
    "base": ("eval_runs", "id"),
    "candidate": ("eval_runs", "id"),
}
#: Required query parameters of GET routes, filled with B's values.
QUERY_SOURCES: dict[str, tuple[str, str]] = {
    "model_name": ("model_checkpoints", "model_name"),
    "task": ("eval_runs", "task"),
}
PUBLIC = {"/health"}
WRITE_METHODS = {"post", "put", "patch", "delete"}
PLACEHOLDER = {"integer": "1", "string": str(uuid.UUID(int=1))}


async def _values(ledger: Ledger, project: uuid.UUID, table: str, column: str) -> set[str]:
    t = metadata.tables[table]
    async with ledger.db.engine.connect() as conn:
        rows = await conn.execute(select(t.c[column]).where(t.c.project_id == project))
        return {str(v) for (v,) in rows if v is not None}


async def _digest_of(ledger: Ledger, project: uuid.UUID) -> dict[str, str]:
    """A checksum of every row of ``project``, per table (read as the owner, no policies)."""
    out: dict[str, str] = {}
    async with ledger.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "project_id" not in table.c:
                continue
            rows = await conn.execute(select(table).where(table.c.project_id == project))
            lines = sorted(json.dumps(dict(r._mapping), default=str, sort_keys=True) for r in rows)
            out[table.name] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return out


class World:
    def __init__(self, ledger: Ledger, spec: dict[str, Any], b: uuid.UUID) -> None:
        self.ledger = ledger
        self.spec = spec
        self.b = b
        self.b_only: dict[str, list[str]] = {}
        self.b_uuids: set[str] = set()
        self.b_texts: set[str] = set()  # B-only names (agent types, node names, claim ids...)
        self.keys: dict[str, str] = {}

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (method, path, op)
            for path, ops in self.spec["paths"].items()
            for method, op in ops.items()
        ]

    def leaks(self, text: str, asked: str = "") -> list[str]:
        """B's row ids in ``text`` (except those the request itself named, e.g. in a 404)."""
        found = set(
            re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
        )
        names = {v for v in self.b_texts if v in text}
        return sorted(v for v in (found & self.b_uuids) | names if v not in asked)


@pytest.fixture
async def world(seeded: Ledger) -> AsyncIterator[World]:
    async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
        project_b = (await tenancy.create_project(uow, "tenant-b")).id
    b = seeded.in_project(project_b)
    await b.create_or_update_agent_metrics("b-only-agent")
    await generate(b, "small", seed=7)
    await b.record_run(
        {
            "external_id": "b-only-run",
            "task": "b-only-task",
            "model": "b-only-model",
            "samples": [{"sample_id": "b-only-sample", "scores": {"match": {"value": 1.0}}}],
        }
    )
    spec = create_app(seeded.settings, ledger=seeded).openapi()
    w = World(seeded, spec, project_b)
    default = seeded.actor.project_id
    for name, (table, column) in {**PATH_SOURCES, **QUERY_SOURCES}.items():
        theirs = await _values(seeded, project_b, table, column)
        ours = await _values(seeded, default, table, column)
        w.b_only[name] = sorted(theirs - ours)[:3]
        w.b_texts |= {v for v in theirs - ours if len(v) >= 6 and not v.isdigit()}
    for table in metadata.sorted_tables:
        if "project_id" in table.c and "id" in table.c:
            w.b_uuids |= await _values(seeded, project_b, table.name, "id")
    for scope in ("read", "write", "admin"):
        w.keys[scope] = await make_key(seeded, scope)
    w.keys["revoked"] = await make_key(seeded, "write")
    async with UnitOfWork(seeded.db, tenant_scoped=False) as uow:
        await tenancy.revoke_key(uow, w.keys["revoked"].split("_")[1])
    yield w


def _client(w: World, key: str | None) -> httpx.AsyncClient:
    app = create_app(w.ledger.settings, ledger=w.ledger)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
    )


def _params(op: dict[str, Any], where: str) -> list[dict[str, Any]]:
    return [p for p in op.get("parameters", []) if p["in"] == where]


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def _placeholder_path(path: str, op: dict[str, Any]) -> str:
    values = {}
    for p in _params(op, "path"):
        kind = p["schema"].get("type", "string")
        values[p["name"]] = PLACEHOLDER.get(kind, "x")
    return _fill(path, values)


def test_every_path_parameter_has_a_source(seeded: Ledger) -> None:
    spec = create_app(seeded.settings, ledger=seeded).openapi()
    names = {
        p["name"]
        for ops in spec["paths"].values()
        for op in ops.values()
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    assert names <= PATH_SOURCES.keys(), names - PATH_SOURCES.keys()


async def _project_a_never_sees_project_b(w: World) -> None:
    assert len(w.b_uuids) > 100, "the generator should have filled project B"
    problems: list[str] = []
    checked = 0
    async with _client(w, w.keys["admin"]) as http:
        for method, path, op in w.operations():
            if method != "get" or path in PUBLIC or path == "/metrics":
                continue
            query: dict[str, Any] = {}
            for p in _params(op, "query"):
                if p.get("required"):
                    query[p["name"]] = (w.b_only.get(p["name"]) or ["x"])[0]
                elif p["name"] == "limit":
                    query["limit"] = 1000
            path_names = [p["name"] for p in _params(op, "path")]
            if not path_names:
                response = await http.get(path, params=query)
                checked += 1
                if response.status_code >= 500 or response.status_code in (401, 403):
                    problems.append(f"GET {path}: {response.status_code}")
                if leaks := w.leaks(response.text, str(query)):
                    problems.append(f"GET {path} lists B's rows {leaks[:3]}")
                continue
            combos: list[dict[str, str]] = []  # B's values, one parameter at a time
            for name in path_names:
                for value in w.b_only[name]:
                    values = {n: value if n == name else w.b_only[n][0] for n in path_names}
                    combos.append(values)
            assert combos, f"no B value for {path}"
            for values in combos:
                url = _fill(path, values)
                response = await http.get(url, params=query)
                checked += 1
                if leaks := w.leaks(response.text, url):
                    problems.append(f"GET {url} shows B's rows {leaks[:3]}")
                elif response.status_code != 404 and not (
                    response.status_code == 200 and response.json() in ([], {}, None)
                ):
                    problems.append(f"GET {url}: {response.status_code} {response.text[:200]}")
    assert checked > 40
    assert not problems, "\n".join(problems)


async def _writes_aimed_at_project_b_change_nothing_of_b(w: World) -> None:
    before = await _digest_of(w.ledger, w.b)
    async with _client(w, w.keys["admin"]) as http:
        for method, path, op in w.operations():
            names = [p["name"] for p in _params(op, "path")]
            if method not in WRITE_METHODS or not names:
                continue
            for name in names:
                for value in w.b_only[name]:
                    url = _fill(path, {n: value if n == name else w.b_only[n][0] for n in names})
                    response = await http.request(method.upper(), url, json={})
                    assert response.status_code < 500, (method, url, response.text)
                    assert not w.leaks(response.text, url), (method, url, response.text)
    assert await _digest_of(w.ledger, w.b) == before


async def _read_keys_cannot_write_anything(w: World) -> None:
    before = await _digest_of(w.ledger, w.ledger.actor.project_id)
    wrong: list[str] = []
    async with _client(w, w.keys["read"]) as http:
        for method, path, op in w.operations():
            if method not in WRITE_METHODS:
                continue
            response = await http.request(method.upper(), _placeholder_path(path, op), json={})
            if response.status_code != 403:
                wrong.append(f"{method.upper()} {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert await _digest_of(w.ledger, w.ledger.actor.project_id) == before


BAD_CREDENTIALS = ["revoked", "evl_deadbeef_" + "x" * 43, "not-a-key", "", "Basic dXNlcjpwYXNz"]


async def _bad_key_gets_401_everywhere_but_health(w: World, credential: str) -> None:
    secret = w.keys["revoked"] if credential == "revoked" else credential
    wrong: list[str] = []
    app = create_app(w.ledger.settings, ledger=w.ledger)
    if credential.startswith("Basic "):
        headers = {"Authorization": credential}
    elif secret:
        headers = {"Authorization": f"Bearer {secret}"}
    else:
        headers = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=headers
    ) as http:
        for method, path, op in w.operations():
            response = await http.request(method.upper(), _placeholder_path(path, op), json={})
            if path in PUBLIC:
                # /health answers anonymously (503 when, e.g., a service heartbeat is stale)
                assert response.status_code in (200, 503)
            elif response.status_code != 401:
                wrong.append(f"{method.upper()} {path}: {response.status_code}")
            else:
                assert response.headers.get("www-authenticate") == "Bearer"
    assert not wrong, f"credential {credential[:20]!r}:\n" + "\n".join(wrong)


async def test_every_route_keeps_tenants_apart_and_honours_scopes(world: World) -> None:
    # One test over one generated data set (the generator is the slow part).
    await _project_a_never_sees_project_b(world)
    await _writes_aimed_at_project_b_change_nothing_of_b(world)
    await _read_keys_cannot_write_anything(world)
    for credential in BAD_CREDENTIALS:
        await _bad_key_gets_401_everywhere_but_health(world, credential)
