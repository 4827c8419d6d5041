"""``GET /metrics``: admin keys only, and every figure it lists really moves."""

from __future__ import annotations

import re

import httpx

from evalledger.api.app import create_app
from evalledger.sdk.ledger import Ledger
from tests.conftest import make_key


def _client(ledger: Ledger, key: str | None = None, *, no_auth: bool = False) -> httpx.AsyncClient:
    app = create_app(ledger.settings, ledger=ledger, no_auth=no_auth)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
    )


def _sample(body: str, name: str, **labels: str) -> float:
    """The value of the one sample ``name{labels}`` in an exposition text (0 when absent)."""
    total = 0.0
    for line in body.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def test_metrics_are_for_admin_keys_only(seeded: Ledger) -> None:
    # Request counts span every project: a read or write key of one project must not see them.
    async with _client(seeded) as anon:
        assert (await anon.get("/metrics")).status_code == 401
    for scope in ("read", "write"):
        async with _client(seeded, await make_key(seeded, scope)) as http:
            r = await http.get("/metrics")
            assert r.status_code == 403, (scope, r.text)
            assert "evalledger_http_requests_total" not in r.text
    async with _client(seeded, await make_key(seeded, "admin")) as admin:
        r = await admin.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain; version=")
    async with _client(seeded, no_auth=True) as local:  # serve --no-auth, loopback only
        assert (await local.get("/metrics")).status_code == 200


async def test_metrics_count_requests_statements_pools_and_caches(seeded: Ledger) -> None:
    async with _client(seeded, await make_key(seeded, "admin")) as admin:
        before = (await admin.get("/metrics")).text
        await admin.post(
            "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 5}
        )
        await admin.get("/api/agent-metrics/ghost")
        await admin.get("/api/agent-metrics/guardian")
        await admin.get("/api/v1/leaderboard", params={"method": "elo"})
        await admin.get("/api/v1/leaderboard", params={"method": "elo"})
        body = (await admin.get("/metrics")).text

    assert (
        'evalledger_http_requests_total{method="POST",route="/api/agent-metrics/{agent_type}/custody-test",status="200"}'
        in body
    )
    assert "evalledger_http_request_duration_seconds_bucket" in body
    assert 'evalledger_db_transactions_total{kind="write",outcome="commit"}' in body
    assert 'evalledger_errors_total{kind="client",status="404"}' in body

    # Every statement is timed, by verb and backend (never by SQL text).
    backend = seeded.db.dialect_name
    name = "evalledger_db_query_duration_seconds_count"
    for verb in ("select", "insert", "update"):
        grew = _sample(body, name, operation=verb, backend=backend) - _sample(
            before, name, operation=verb, backend=backend
        )
        assert grew > 0, (verb, backend)
    operations = set(
        re.findall(r'evalledger_db_query_duration_seconds_count\{[^}]*operation="(\w+)"', body)
    )
    assert operations <= {"select", "insert", "update", "delete", "other"}

    # Pool figures of the primary pool, read at scrape time.
    for gauge in ("size", "checked_out", "overflow"):
        assert re.search(rf'^evalledger_db_pool_{gauge}\{{pool="primary"\}} \d', body, re.M), gauge
    if seeded.db.is_postgres:
        assert _sample(body, "evalledger_db_pool_size", pool="primary") >= seeded.settings.pool_size

    # The second leaderboard came from the ratings cache; the admin key from the auth cache.
    hits = "evalledger_cache_lookups_total"
    assert _sample(body, hits, cache="ratings", result="hit") > _sample(
        before, hits, cache="ratings", result="hit"
    )
    assert _sample(body, hits, cache="ratings", result="miss") > _sample(
        before, hits, cache="ratings", result="miss"
    )
    assert _sample(body, hits, cache="auth", result="hit") > _sample(
        before, hits, cache="auth", result="hit"
    )


async def test_monitor_query_times_a_decorated_function() -> None:
    """The BrahminyKite persistence layer's decorator, for code written against it."""
    from evalledger.monitoring import OPERATION_LATENCY, monitor_query

    @monitor_query(operation="complex_query", table="verification_requests")
    async def op() -> int:
        return 7

    sample = OPERATION_LATENCY.labels("complex_query", "verification_requests")
    before = sample._sum.get()  # type: ignore[attr-defined]
    assert await op() == 7
    assert sample._sum.get() > before  # type: ignore[attr-defined]
