"""Read replicas against a real primary and streaming replica (PostgreSQL only).

The session fixture builds two throw-away clusters on loopback, on free ports, in a temporary
directory: a primary (``wal_level=replica``) and a hot standby made with ``pg_basebackup -R``.
PostgreSQL refuses to run as root, so when the tests run as root (CI) the server binaries run
as the ``postgres`` OS user. Whether a read went to the replica is read from the servers' own
statistics (``pg_stat_statements`` on each), not from evalledger's counters alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client import REGISTRY

from evalledger.agents.service import AgentMetricsService
from evalledger.api.app import create_app
from evalledger.config import load_settings
from evalledger.db import migrate
from evalledger.db.engine import Database
from evalledger.sdk.ledger import Ledger
from evalledger.uow import UnitOfWork
from tests.conftest import BACKENDS, make_key, reset_tables
from tests.support.pgcluster import free_port

pytestmark = pytest.mark.skipif(
    "postgres" not in BACKENDS, reason="replica tests need PostgreSQL (EVALLEDGER_TEST_BACKENDS)"
)

DB_NAME = "evalledger_replicas"


def pg_bindir() -> Path:
    """The newest installed PostgreSQL server binaries (Debian layout, else PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found")


def as_server_user(cmd: list[str]) -> list[str]:
    """PostgreSQL will not run as root: run its binaries as ``postgres`` when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def run(cmd: list[str], timeout: float = 60) -> str:
    proc = subprocess.run(
        as_server_user(cmd), capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


@dataclass
class Cluster:
    bindir: Path
    root: Path
    primary_port: int
    replica_port: int

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/{DB_NAME}"

    @property
    def replica_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.replica_port}/{DB_NAME}"

    def pg_ctl(self, node: str, *args: str) -> None:
        data = str(self.root / node)
        run([str(self.bindir / "pg_ctl"), "-D", data, "-l", f"{data}.log", "-w", "-t", "30", *args])

    def stop(self, node: str) -> None:
        if (self.root / node / "postmaster.pid").exists():
            self.pg_ctl(node, "stop", "-m", "immediate")

    def start(self, node: str) -> None:
        self.pg_ctl(node, "start")


async def connect(port: int, database: str = DB_NAME) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", database=database, timeout=10
    )


async def wait_replayed(cluster: Cluster, within: float = 30) -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    primary = await connect(cluster.primary_port)
    try:
        target = await primary.fetchval("SELECT pg_current_wal_lsn()")
    finally:
        await primary.close()
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            replica = await connect(cluster.replica_port)
            try:
                if await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target):
                    return
            finally:
                await replica.close()
        if time.monotonic() > deadline:
            raise AssertionError("replica did not catch up with the primary")
        await asyncio.sleep(0.05)


async def _prepare_database(cluster: Cluster) -> None:
    admin = await connect(cluster.primary_port, "postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    conn = await connect(cluster.primary_port)
    try:
        await conn.execute("CREATE EXTENSION pg_stat_statements")
    finally:
        await conn.close()
    db = Database(load_settings(database_url=cluster.primary_url))
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()
    await wait_replayed(cluster)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    bindir = pg_bindir()
    root = Path(tempfile.mkdtemp(prefix="evalledger-replicas-"))
    if os.geteuid() == 0:
        try:
            pg = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs a 'postgres' OS user to run the test clusters")
        os.chown(root, pg.pw_uid, pg.pw_gid)
    root.chmod(0o700)
    c = Cluster(bindir, root, free_port(), free_port())
    try:
        primary = root / "primary"
        run(
            [
                str(bindir / "initdb"),
                "-D",
                str(primary),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ]
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"""
listen_addresses = '127.0.0.1'
port = {c.primary_port}
unix_socket_directories = '{root}'
max_connections = 60
shared_buffers = 32MB
fsync = off
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
"""
            )
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n")
        c.start("primary")
        replica = root / "replica"
        run(
            [
                str(bindir / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(c.primary_port),
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
            ]
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {c.replica_port}\n")
        c.start("replica")
        asyncio.run(_prepare_database(c))
        yield c
    finally:
        for node in ("replica", "primary"):
            with contextlib.suppress(Exception):
                c.stop(node)
        shutil.rmtree(root, ignore_errors=True)


def _settings(cluster: Cluster, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "database_url": cluster.primary_url,
        "read_replica_urls": cluster.replica_url,
        "replica_check_interval_seconds": 0,
        "pool_size": 5,
        "max_overflow": 5,
    }
    values.update(overrides)
    return values


@pytest.fixture
async def ledger_rr(cluster: Cluster) -> AsyncIterator[Ledger]:
    """A ledger on the primary with the replica for reads; tables empty, four agents seeded."""
    led = await Ledger.open(settings=load_settings(**_settings(cluster)))  # type: ignore[arg-type]
    try:
        await reset_tables(led.db)
        await led.seed_default_agents()
        await wait_replayed(cluster)
        yield led
    finally:
        await led.close()


async def agent_metric_calls(port: int) -> int:
    """How many statements touching agent_metrics this server has run in our database."""
    conn = await connect(port)
    try:
        value = await conn.fetchval(
            """
            SELECT coalesce(sum(s.calls), 0)::bigint
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = $1 AND s.query ILIKE '%agent_metrics%'
              AND s.query NOT ILIKE '%pg_stat_statements%'
            """,
            DB_NAME,
        )
        return int(value)
    finally:
        await conn.close()


def reads(cluster: Cluster) -> float:
    label = f"127.0.0.1:{cluster.replica_port}/{DB_NAME}"
    return REGISTRY.get_sample_value("evalledger_replica_reads_total", {"replica": label}) or 0.0


def fallbacks(reason: str) -> float:
    return (
        REGISTRY.get_sample_value("evalledger_replica_fallbacks_total", {"reason": reason}) or 0.0
    )


async def test_reads_hit_the_replica_and_not_the_primary(
    cluster: Cluster, ledger_rr: Ledger
) -> None:
    replica_before = await agent_metric_calls(cluster.replica_port)
    primary_before = await agent_metric_calls(cluster.primary_port)
    counted_before = reads(cluster)

    results = await asyncio.gather(*(ledger_rr.get_agent_metrics("guardian") for _ in range(20)))
    overview = await ledger_rr.list_agents()

    assert all(r.agent_type == "guardian" for r in results)
    assert {a.agent_type for a in overview} >= {"guardian", "imperium", "sandbox", "conquest"}
    replica_after = await agent_metric_calls(cluster.replica_port)
    primary_after = await agent_metric_calls(cluster.primary_port)
    assert replica_after - replica_before >= 21
    assert primary_after == primary_before
    assert reads(cluster) - counted_before == 21
    # The replica's pool is reported beside the primary's, under the same label.
    label = f"127.0.0.1:{cluster.replica_port}/{DB_NAME}"
    size = REGISTRY.get_sample_value("evalledger_db_pool_size", {"pool": label})
    assert size is not None and size >= 1
    assert REGISTRY.get_sample_value("evalledger_db_pool_checked_out", {"pool": label}) == 0


async def test_a_write_is_visible_to_its_own_unit_of_work_and_later_reads(
    cluster: Cluster, ledger_rr: Ledger
) -> None:
    primary_before = await agent_metric_calls(cluster.primary_port)
    async with UnitOfWork(ledger_rr.db, write=True) as uow:
        service = AgentMetricsService(uow, ledger_rr.settings)
        await service.update_custody_test_result(
            "guardian", _custody(passed=True, score=90, xp_awarded=40)
        )
        inside = await service.get_custody_metrics("guardian")
        assert not uow.on_replica
    assert inside.total_tests_given == 1
    # The read inside the writing unit of work ran on the primary.
    assert await agent_metric_calls(cluster.primary_port) > primary_before

    # Right after the write, a pinned read is guaranteed to see it ...
    pinned = await ledger_rr.pin_primary().get_custody_metrics("guardian")
    assert pinned.total_tests_given == 1
    # ... and a plain read does once the replica has replayed it (from the replica).
    await wait_replayed(cluster)
    counted_before = reads(cluster)
    later = await ledger_rr.get_custody_metrics("guardian")
    assert later.total_tests_given == 1
    assert later.xp == inside.xp
    assert reads(cluster) == counted_before + 1


async def test_a_lagging_replica_is_skipped(cluster: Cluster) -> None:
    led = await Ledger.open(
        settings=load_settings(**_settings(cluster, replica_max_lag_seconds=0))  # type: ignore[arg-type]
    )
    replica = await connect(cluster.replica_port)
    try:
        await reset_tables(led.db)
        await led.seed_default_agents()
        await wait_replayed(cluster)
        await replica.execute("SELECT pg_wal_replay_pause()")
        await led.update_custody_test_result("guardian", {"passed": False, "score": 10})
        primary = await connect(cluster.primary_port)
        try:
            target = await primary.fetchval("SELECT pg_current_wal_lsn()")
        finally:
            await primary.close()
        deadline = time.monotonic() + 30
        while not await replica.fetchval("SELECT pg_last_wal_receive_lsn() >= $1", target):
            assert time.monotonic() < deadline, "replica never received the write"
            await asyncio.sleep(0.05)
        assert not await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", target)

        lag_before = fallbacks("lag")
        replica_calls = await agent_metric_calls(cluster.replica_port)
        seen = await led.get_custody_metrics("guardian")

        assert seen.total_tests_failed == 1  # not the replica's stale answer
        assert fallbacks("lag") == lag_before + 1
        assert await agent_metric_calls(cluster.replica_port) == replica_calls
        assert led.db.replicas is not None
        assert led.db.replicas.status()[0]["state"] == "lag"
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()
        await led.close()
    await wait_replayed(cluster)


async def test_rest_reads_after_a_write_see_it_when_asking_for_the_primary(
    cluster: Cluster,
) -> None:
    # A generous lag bound: the paused replica stays in rotation, as a slow one would.
    led = await Ledger.open(
        settings=load_settings(**_settings(cluster, replica_max_lag_seconds=120))  # type: ignore[arg-type]
    )
    replica = await connect(cluster.replica_port)
    try:
        await reset_tables(led.db)
        await led.seed_default_agents()
        await wait_replayed(cluster)
        await replica.execute("SELECT pg_wal_replay_pause()")
        key = await make_key(led, "write")  # not replayed: authentication reads the primary
        app = create_app(led.settings, ledger=led)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers={"Authorization": f"Bearer {key}"},
        ) as client:
            posted = await client.post(
                "/api/agent-metrics/guardian/custody-test", json={"passed": True, "score": 80}
            )
            assert posted.status_code in (200, 201), posted.text
            url = "/api/agent-metrics/guardian/custody"
            stale = await client.get(url)
            fresh = await client.get(url, headers={"X-Read-Consistency": "primary"})
        assert stale.status_code == 200 and fresh.status_code == 200
        # Documented behaviour: a later request may read a replica that lags (within bound).
        assert stale.json()["custody_metrics"]["total_tests_given"] == 0
        assert fresh.json()["custody_metrics"]["total_tests_given"] == 1
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()
        await led.close()
    await wait_replayed(cluster)


async def test_a_stopped_replica_falls_back_to_the_primary_without_errors(
    cluster: Cluster, ledger_rr: Ledger
) -> None:
    down_before = fallbacks("down")
    try:
        async with UnitOfWork(ledger_rr.db, write=False) as uow:
            assert uow.on_replica
            # The replica dies while this read holds a connection to it.
            await asyncio.to_thread(cluster.stop, "replica")
            service = AgentMetricsService(uow, ledger_rr.settings)
            got = await service.get_agent_metrics("guardian")
            assert got.agent_type == "guardian"
            assert not uow.on_replica  # retried on the primary
        assert fallbacks("down") == down_before + 1

        # New reads while it stays down: the health check finds it down; no client errors.
        results = await asyncio.gather(
            *(ledger_rr.get_agent_metrics("sandbox") for _ in range(10)),
            ledger_rr.get_custody_metrics("guardian"),
        )
        assert len(results) == 11
        assert fallbacks("down") >= down_before + 2
        assert ledger_rr.db.replicas is not None
        assert ledger_rr.db.replicas.status()[0]["state"] == "down"
    finally:
        await asyncio.to_thread(cluster.start, "replica")
    await wait_replayed(cluster)

    # Back in rotation once it answers again.
    counted_before = reads(cluster)
    await ledger_rr.get_agent_metrics("guardian")
    assert reads(cluster) == counted_before + 1


def _custody(**values: object):  # type: ignore[no-untyped-def]
    from evalledger.agents.schemas import CustodyTestIn

    return CustodyTestIn.model_validate(values)
