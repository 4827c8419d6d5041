"""Every CLI failure ends as one line on stderr and the README's exit code, never a traceback.

0 success, 1 domain error or failed check, 2 bad usage or configuration, 3 not found,
4 the schema is not current (an empty database: `evalledger init`; an old one: `db upgrade`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalledger.cli import db as db_cli
from evalledger.cli.main import app
from evalledger.config import get_settings
from tests.conftest import BACKENDS, PG_SERVER_URL, pg_url_for

runner = CliRunner()
needs_pg = pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL not under test")


@pytest.fixture
def use_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    def set_url(url: str) -> str:
        monkeypatch.setenv("EVALLEDGER_DATABASE_URL", url)
        get_settings.cache_clear()
        return url

    yield set_url
    get_settings.cache_clear()


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), input=stdin)


def assert_one_line(result, code: int) -> str:  # type: ignore[no-untyped-def]
    """The command failed with ``code`` and said so in exactly one line, with no traceback."""
    assert result.exit_code == code, result.output
    # A SystemExit is how Typer exits with a code; anything else escaped the error handling.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert "Traceback" not in result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return str(lines[0])


@pytest.fixture
def sqlite_db(tmp_path: Path, use_url) -> Path:  # type: ignore[no-untyped-def]
    path = tmp_path / "ledger.db"
    use_url(f"sqlite:///{path}")
    assert invoke("init").exit_code == 0
    return path


def test_malformed_event_id_is_bad_usage(sqlite_db: Path) -> None:
    result = invoke("events", "show", "not-a-uuid")
    assert result.exit_code == 2 and "valid UUID" in result.output
    assert "Traceback" not in result.output


def test_unknown_event_is_not_found(sqlite_db: Path) -> None:
    line = assert_one_line(invoke("events", "show", str(uuid.uuid4())), 3)
    assert "not found" in line


def test_bad_date_option_is_bad_usage(sqlite_db: Path) -> None:
    assert "--start" in assert_one_line(invoke("events", "list", "--start", "yesterday"), 2)


def test_bad_scope_is_bad_usage(sqlite_db: Path) -> None:
    result = invoke("keys", "create", "--scope", "superuser", "--name", "k")
    assert result.exit_code == 2 and "superuser" in result.output


MISSING_DIR_COMMANDS = [
    ("stats",),
    ("verify",),
    ("agents", "list"),
    ("keys", "list"),
    ("db", "current"),
    ("health",),
    ("report",),
]


@pytest.mark.parametrize("command", MISSING_DIR_COMMANDS)
def test_sqlite_file_in_a_missing_directory(tmp_path: Path, use_url, command) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "no" / "such" / "dir" / "ledger.db"
    use_url(f"sqlite:///{missing}")
    line = assert_one_line(invoke(*command), 2)
    assert str(missing.parent) in line and "does not exist" in line
    assert not missing.parent.exists()


def test_init_in_a_missing_directory_says_which(tmp_path: Path, use_url) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nowhere" / "ledger.db"
    use_url(f"sqlite:///{missing}")
    assert str(missing.parent) in assert_one_line(invoke("init"), 2)


@pytest.mark.parametrize("command", [("stats",), ("agents", "list"), ("keys", "list")])
def test_missing_sqlite_file_is_not_created(tmp_path: Path, use_url, command) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "ledger.db"
    use_url(f"sqlite:///{path}")
    line = assert_one_line(invoke(*command), 4)
    assert "evalledger init" in line and str(path) in line and "db upgrade" not in line
    assert not path.exists()


def test_db_current_on_an_empty_database_says_init(tmp_path: Path, use_url) -> None:  # type: ignore[no-untyped-def]
    use_url(f"sqlite:///{tmp_path / 'ledger.db'}")
    result = invoke("db", "current")
    assert result.exit_code == 0 and "evalledger init" in result.output


def test_old_schema_asks_for_backup_and_upgrade(sqlite_db: Path) -> None:
    assert invoke("db", "downgrade", "0004").exit_code == 0
    line = assert_one_line(invoke("agents", "list"), 4)
    assert "take a backup" in line and "evalledger db upgrade" in line


def test_unexpected_error_is_one_line(sqlite_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    # `db current` calls head_revision outside the async work: the root group reports it.
    monkeypatch.setattr(db_cli.migrate, "head_revision", broken)
    line = assert_one_line(invoke("db", "current"), 1)
    assert "RuntimeError: boom" in line


@needs_pg
@pytest.mark.parametrize("command", [("stats",), ("verify",), ("agents", "list"), ("keys", "list")])
def test_postgres_database_that_does_not_exist(use_url, command) -> None:  # type: ignore[no-untyped-def]
    name = f"evalledger_absent_{uuid.uuid4().hex[:8]}"
    use_url(pg_url_for(name))
    line = assert_one_line(invoke(*command), 2)
    assert name in line and "does not exist" in line and "evalledger init" in line


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    """The real entry point, in a subprocess: stderr holds one line and no traceback."""
    exe = Path(sys.executable).with_name("evalledger")
    env = {**os.environ, "EVALLEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'none' / 'x.db'}"}
    done = subprocess.run(
        [str(exe), "stats"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "does not exist" in done.stderr


# -- init on PostgreSQL: creates the database when the role may --------------------------------


async def _pg(sql: str, database: str = "postgres") -> list[object]:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(PG_SERVER_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, database=database
    )
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def pg(sql: str, database: str = "postgres") -> list[object]:
    import asyncio

    return asyncio.run(_pg(sql, database))


@pytest.fixture
def pg_name() -> Iterator[str]:
    name = f"evalledger_init_{uuid.uuid4().hex[:8]}"
    yield name
    pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@needs_pg
def test_init_creates_a_missing_postgres_database(use_url, pg_name: str) -> None:  # type: ignore[no-untyped-def]
    use_url(pg_url_for(pg_name))
    first = invoke("init", "--seed")
    assert first.exit_code == 0, first.output
    assert f"created PostgreSQL database '{pg_name}'" in first.output
    assert pg(f"SELECT 1 FROM pg_database WHERE datname = '{pg_name}'")
    assert len(pg("SELECT agent_type FROM agent_metrics", pg_name)) == 4
    again = invoke("init")
    assert again.exit_code == 0 and "created" not in again.output


@needs_pg
def test_init_without_createdb_says_so(use_url, pg_name: str) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.engine import make_url

    role = f"evalledger_nocreatedb_{uuid.uuid4().hex[:6]}"
    pg(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
    try:
        url = make_url(pg_url_for(pg_name)).set(username=role, password=None)
        use_url(url.render_as_string(hide_password=False))
        line = assert_one_line(invoke("init"), 1)
        assert "may not create databases" in line and role in line and pg_name in line
        assert not pg(f"SELECT 1 FROM pg_database WHERE datname = '{pg_name}'")
    finally:
        pg(f'DROP ROLE "{role}"')


# -- init --drop asks first --------------------------------------------------------------------


def _agents(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM agent_metrics").fetchone()[0])


@pytest.fixture
def seeded_sqlite(sqlite_db: Path) -> Path:
    assert invoke("init", "--seed").exit_code == 0
    assert _agents(sqlite_db) == 4
    return sqlite_db


def test_drop_without_a_terminal_needs_yes(seeded_sqlite: Path) -> None:
    line = assert_one_line(invoke("init", "--drop"), 2)
    assert "--yes" in line and str(seeded_sqlite) in line
    assert _agents(seeded_sqlite) == 4


def test_drop_asks_and_no_keeps_the_data(
    seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_cli, "_can_ask", lambda: True)
    result = invoke("init", "--drop", stdin="n\n")
    assert result.exit_code == 1 and "nothing dropped" in result.output
    assert _agents(seeded_sqlite) == 4
    confirmed = invoke("init", "--drop", stdin="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert _agents(seeded_sqlite) == 0


def test_drop_with_yes_does_not_ask(seeded_sqlite: Path) -> None:
    assert invoke("init", "--drop", "--yes").exit_code == 0
    assert _agents(seeded_sqlite) == 0
