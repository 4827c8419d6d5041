"""A server rides out a PostgreSQL restart: fast 503s during the outage, then service again.

Runs against a throwaway cluster on its own port (never the shared server), which the test
stops and starts under a running evalledger server process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.test_server_and_clients import running_server
from tests.support.pgcluster import ThrowawayCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    if "postgres" not in __import__("tests.conftest", fromlist=["BACKENDS"]).BACKENDS:
        pytest.skip("PostgreSQL backend not selected")
    c = ThrowawayCluster().init()
    c.start()
    try:
        yield c
    finally:
        c.destroy()


def test_server_survives_a_database_restart(cluster: ThrowawayCluster) -> None:
    import subprocess
    import sys

    from tests.integration.test_server_and_clients import _env

    url = cluster.url()
    subprocess.run(
        [sys.executable, "-m", "evalledger.cli.main", "init", "--seed"],
        env=_env(EVALLEDGER_DATABASE_URL=url),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with running_server(url, "--no-auth") as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/api/agent-metrics/guardian").status_code == 200
        r = http.post("/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 9})
        assert r.status_code == 200

        cluster.stop("fast")
        for path in ("/api/agent-metrics/guardian", "/health"):
            started = time.monotonic()
            r = http.get(path)
            assert r.status_code == 503, r.text
            assert time.monotonic() - started < 5, "an outage must answer fast, not hang"
        r = http.post("/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 9})
        assert r.status_code == 503 and r.headers.get("Retry-After") == "1"

        cluster.start()
        cluster.wait_ready()
        deadline = time.monotonic() + 20
        while True:
            r = http.get("/api/agent-metrics/guardian")
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 200, r.text
        assert r.json()["metrics"]["total_tests_given"] == 1  # the failed write left nothing
        r = http.post("/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 9})
        assert r.status_code == 200
        assert r.json()["updated_custody_metrics"]["total_tests_given"] == 2


def test_a_frozen_database_gets_fast_503s_and_service_again_after(
    cluster: ThrowawayCluster,
) -> None:
    """SIGSTOP stands in for a network partition: sockets stay open, nothing answers.

    Before, every request (``/health`` included) waited for the whole freeze. Now
    ``/health`` gives up after ``EVALLEDGER_HEALTH_TIMEOUT`` and API requests within the
    ping and connect timeouts, each a 503 with ``Retry-After``; after the thaw the same
    server process answers 200 again.
    """
    import subprocess
    import sys

    from tests.integration.test_server_and_clients import _env

    url = cluster.url()
    subprocess.run(
        [sys.executable, "-m", "evalledger.cli.main", "init", "--seed"],
        env=_env(EVALLEDGER_DATABASE_URL=url),
        check=True,
        capture_output=True,
        timeout=120,
    )
    with running_server(url, "--no-auth") as base, httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/api/agent-metrics/guardian").status_code == 200
        frozen = cluster.freeze()
        try:
            for path, within in (
                ("/health", 2.5),
                ("/api/agent-metrics/guardian", 8.0),
                ("/api/v1/claims", 8.0),
                ("/health", 2.5),
            ):
                started = time.monotonic()
                r = http.get(path)
                elapsed = time.monotonic() - started
                assert r.status_code == 503, (path, r.text)
                assert r.headers.get("Retry-After") == "1", path
                assert r.headers["content-type"].startswith("application/json"), path
                assert elapsed < within, f"{path} took {elapsed:.1f} s during the freeze"
            assert r.json()["database"] == "unreachable"
        finally:
            cluster.thaw(frozen)
        deadline = time.monotonic() + 20
        while True:
            r = http.get("/health")
            if r.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 200, r.text
        assert http.get("/api/agent-metrics/guardian").status_code == 200
        r = http.post("/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 9})
        assert r.status_code == 200, r.text
