"""Migrations the way every Alembic user runs them: ``alembic`` from a checkout, and the same
steps through ``evalledger db`` (``downgrade -1`` as the docs write it, ``revision``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalledger.cli.main import app
from evalledger.config import get_settings
from evalledger.db import migrate
from tests.conftest import acreate_pg_database, adrop_pg_database

ROOT = Path(__file__).resolve().parents[2]
ALEMBIC = Path(sys.executable).parent / "alembic"
runner = CliRunner()


@pytest.fixture
async def fresh_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a brand-new, unmigrated database of the backend under test."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'alembic.db'}"
        return
    name = f"evalledger_alembic_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = await acreate_pg_database(name)
    try:
        yield url
    finally:
        await adrop_pg_database(name)


@pytest.fixture
def cli_env(fresh_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("EVALLEDGER_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    yield fresh_url
    get_settings.cache_clear()


def alembic(url: str, *args: str, ini: Path = ROOT / "alembic.ini") -> str:
    """Run Alembic's own command line from the checkout, as a user would; its output."""
    env = {**os.environ, "EVALLEDGER_DATABASE_URL": url}
    done = subprocess.run(
        [str(ALEMBIC), "-c", str(ini), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"alembic {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def _previous(revision: str) -> str:
    return {rev: down for rev, down, _ in migrate.history()}[revision] or "base"


def test_alembic_command_line_upgrades_steps_down_and_lists(fresh_url: str) -> None:
    head = migrate.head_revision()
    alembic(fresh_url, "upgrade", "head")
    assert f"{head} (head)" in alembic(fresh_url, "current")
    alembic(fresh_url, "downgrade", "-1")
    current = alembic(fresh_url, "current")
    assert _previous(head) in current and "(head)" not in current
    history = alembic(fresh_url, "history")
    for rev, _, _ in migrate.history():
        assert rev in history
    alembic(fresh_url, "upgrade", "head")
    assert f"{head} (head)" in alembic(fresh_url, "current")


def test_evalledger_db_downgrade_minus_one_as_the_docs_write_it(cli_env: str) -> None:
    head = migrate.head_revision()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    down = runner.invoke(app, ["db", "downgrade", "-1"])
    assert down.exit_code == 0, down.output
    assert f"database at revision {_previous(head)}" in down.output
    up = runner.invoke(app, ["db", "upgrade", "+1"])
    assert up.exit_code == 0 and f"database at revision {head}" in up.output
    to_rev = runner.invoke(app, ["db", "downgrade", _previous(head)])
    assert to_rev.exit_code == 0 and _previous(head) in to_rev.output


def test_unknown_revision_is_one_line_and_bad_usage(cli_env: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["db", "downgrade", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output and "Traceback" not in result.output


@pytest.fixture
def scratch_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the migration tree, so generated revisions never land in the source."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
    return copy


def _operations(migration: str) -> list[str]:
    """The ``op.`` lines of a migration file's ``upgrade()``."""
    body = migration.split("def upgrade() -> None:")[1].split("def downgrade() -> None:")[0]
    return [line.strip() for line in body.splitlines() if "op." in line]


def _next_id() -> str:
    return f"{int(migrate.head_revision()) + 1:04d}"


def test_db_revision_autogenerate_is_numbered_and_empty_at_head(
    cli_env: str, scratch_migrations: Path
) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    head, next_id = migrate.head_revision(), _next_id()
    result = runner.invoke(app, ["db", "revision", "-m", "nothing to do", "--autogenerate"])
    assert result.exit_code == 0, result.output
    created = scratch_migrations / "versions" / f"{next_id}_nothing_to_do.py"
    assert created.exists(), result.output
    text = created.read_text()
    assert f"down_revision: str | None = '{head}'" in text.replace('"', "'")
    assert _operations(text) == []  # models and migrations agree


def test_db_revision_without_autogenerate_needs_no_database(
    cli_env: str, scratch_migrations: Path
) -> None:
    next_id = _next_id()
    result = runner.invoke(app, ["db", "revision", "-m", "hand written"])
    assert result.exit_code == 0, result.output
    assert (scratch_migrations / "versions" / f"{next_id}_hand_written.py").exists()


def test_alembic_revision_autogenerate_from_the_checkout(fresh_url: str, tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    ini = tmp_path / "alembic.ini"
    ini.write_text(
        (ROOT / "alembic.ini")
        .read_text()
        .replace("%(here)s/src/evalledger/db/migrations", str(copy))
        .replace("%(here)s/src", str(ROOT / "src"))
    )
    alembic(fresh_url, "upgrade", "head", ini=ini)
    next_id = _next_id()
    alembic(fresh_url, "revision", "--autogenerate", "-m", "from alembic", ini=ini)
    created = copy / "versions" / f"{next_id}_from_alembic.py"
    assert created.exists(), sorted(p.name for p in (copy / "versions").iterdir())
    assert _operations(created.read_text()) == []
