"""The ledger through PgBouncer in transaction mode, prepared statement cache off.

PgBouncer (Debian's package) runs on a free loopback port in front of the test PostgreSQL with
a server pool much smaller than the ledger's connection pool, so server connections really
are handed from one client transaction to another. Skipped only when the ``pgbouncer`` binary
is not installed (``apt-get install pgbouncer``; CI installs it).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from evalledger.config import load_settings
from evalledger.sdk.ledger import Ledger
from tests.conftest import BACKENDS, reset_tables
from tests.support.pgcluster import free_port

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/bin")
SERVER_POOL = 4

pytestmark = [
    pytest.mark.skipif(
        "postgres" not in BACKENDS, reason="PgBouncer tests need PostgreSQL backend"
    ),
    pytest.mark.skipif(
        PGBOUNCER is None,
        reason="pgbouncer binary not installed (apt-get install pgbouncer) - pooler test skipped",
    ),
]


@pytest.fixture(scope="module")
def bouncer_url(database_urls: dict[str, str]) -> Iterator[str]:
    """The test database's URL through a transaction-mode PgBouncer."""
    server = make_url(database_urls["postgres"])
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="evalledger-pgbouncer-"))
    user: str | None = None
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        user = "postgres"
        pg = pwd.getpwnam(user)
        os.chown(root, pg.pw_uid, pg.pw_gid)
    (root / "userlist.txt").write_text(f'"{server.username}" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={server.host or "127.0.0.1"} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {root}/userlist.txt
pool_mode = transaction
default_pool_size = {SERVER_POOL}
max_client_conn = 500
admin_users = {server.username}
logfile = {root}/pgbouncer.log
pidfile = {root}/pgbouncer.pid
"""
    )
    for name in ("userlist.txt", "pgbouncer.ini"):
        if user is not None:
            os.chown(root / name, pg.pw_uid, pg.pw_gid)
    proc = subprocess.Popen(
        [str(PGBOUNCER), str(root / "pgbouncer.ini")],
        user=user,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                log = (
                    (root / "pgbouncer.log").read_text()
                    if (root / "pgbouncer.log").exists()
                    else ""
                )
                pytest.fail(f"pgbouncer did not start: {err}\n{log}")
            time.sleep(0.05)
        yield server.set(port=port).render_as_string(hide_password=False)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def pooled(bouncer_url: str) -> AsyncIterator[Ledger]:
    settings = load_settings(
        database_url=bouncer_url,
        pg_prepared_statement_cache_size=0,
        # PgBouncer rejects a statement_timeout startup parameter; set it on the role instead.
        statement_timeout_ms=0,
        pool_size=20,
        max_overflow=10,
    )
    led = await Ledger.open(settings=settings)
    try:
        await reset_tables(led.db)
        await led.seed_default_agents()
        yield led
    finally:
        await led.close()


def _server_connections(bouncer_url: str) -> int:
    """Server connections PgBouncer holds for our database (its admin console, via psql)."""
    url = make_url(bouncer_url)
    out = subprocess.run(
        [
            *("psql", "-h", str(url.host), "-p", str(url.port), "-U", str(url.username)),
            *("-d", "pgbouncer", "-AtF", "|", "-c", "SHOW SERVERS"),
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    return sum(1 for line in out.splitlines() if f"|{url.database}|" in line)


async def test_concurrent_writes_and_reads_through_transaction_mode_pgbouncer(
    pooled: Ledger, bouncer_url: str
) -> None:
    agents = ["imperium", "guardian", "sandbox", "conquest"]
    writes = [
        pooled.update_custody_test_result(
            agent, {"passed": i % 3 != 0, "score": 50 + i, "test_category": "pooling"}
        )
        for agent in agents
        for i in range(10)
    ]
    reads = [pooled.get_agent_metrics(agent) for agent in agents for _ in range(5)]
    results = await asyncio.gather(*writes, *reads)
    assert len(results) == 60

    for agent in agents:
        custody = await pooled.get_custody_metrics(agent)
        assert custody.total_tests_given == 10
        assert custody.total_tests_passed == 6  # i = 1, 2, 4, 5, 7, 8
        assert custody.total_tests_failed == 4
    overview = await pooled.list_agents()
    assert sorted(a.agent_type for a in overview) == sorted(agents)
    if shutil.which("psql"):
        # Twenty client connections were served by at most SERVER_POOL server connections.
        assert 0 < _server_connections(bouncer_url) <= SERVER_POOL


async def test_results_read_back_in_many_small_transactions(pooled: Ledger) -> None:
    # Many sequential transactions on few server connections: every statement is prepared
    # under a fresh name, so none collides with one left behind by another client.
    for i in range(30):
        await pooled.update_custody_test_result("guardian", {"passed": True, "score": i})
        got = await pooled.get_custody_metrics("guardian")
        assert got.total_tests_given == i + 1
