"""``evalledger db upgrade|downgrade|current|history`` and ``evalledger init``."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from evalledger.cli.common import EXIT_ERROR, console, fail, run, settings_or_exit
from evalledger.db import migrate
from evalledger.db.engine import Database

app = typer.Typer(help="Schema migrations.", no_args_is_help=True)


def _db() -> Database:
    return Database(settings_or_exit())


@app.command()
def upgrade(revision: str = typer.Argument("heads", help="target revision")) -> None:
    """Migrate the database up to REVISION (default: the newest)."""

    async def go() -> str | None:
        db = _db()
        try:
            await migrate.upgrade(db, revision)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    console.print(f"database at revision {run(go)}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision, e.g. -1 or base")) -> None:
    """Migrate the database down to REVISION."""

    async def go() -> str | None:
        db = _db()
        try:
            await migrate.downgrade(db, revision)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    console.print(f"database at revision {run(go) or 'base (empty)'}")


@app.command()
def current() -> None:
    """Show the database's revision and whether it is the head."""

    async def go() -> str | None:
        db = _db()
        try:
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    rev = run(go)
    head = migrate.head_revision()
    if rev is None:
        state = "(empty database: run `evalledger init`)"
    elif rev == head:
        state = "(head)"
    else:
        state = f"(head is {head}: take a backup, then run `evalledger db upgrade`)"
    console.print(f"{rev or 'none'} {state}")


@app.command()
def history() -> None:
    """List migrations, newest first."""
    table = Table("revision", "down", "message")
    for rev, down, message in migrate.history():
        table.add_row(rev, down or "-", message)
    console.print(table)


def _can_ask() -> bool:
    """A question needs a person at a terminal; cron jobs and pipes get a refusal instead."""
    return sys.stdin is not None and sys.stdin.isatty()


def _confirm_drop(where: str) -> None:
    if not _can_ask():
        fail(f"--drop destroys every table of {where}: add --yes to confirm (no terminal to ask)")
    if not typer.confirm(f"Drop every table of {where}? All its data will be lost", default=False):
        fail("nothing dropped", EXIT_ERROR)


def init(
    seed: bool = typer.Option(False, "--seed", help="create the default agents"),
    drop: bool = typer.Option(False, "--drop", help="drop every table first (destroys data)"),
    yes: bool = typer.Option(False, "--yes", "-y", help="do not ask before --drop"),
) -> None:
    """Create the database if needed, migrate it; --seed also creates the default agents.

    A PostgreSQL database that does not exist is created when the role may (CREATEDB).
    """
    from evalledger.db import failures, provision
    from evalledger.sdk.ledger import Ledger

    settings = settings_or_exit()
    where = failures.describe(settings.database_url)
    if drop and not yes:
        _confirm_drop(where)

    async def go() -> tuple[bool, list[str]]:
        created_db = await provision.create_database_if_missing(settings)
        db = Database(settings)
        try:
            if drop:
                await migrate.downgrade(db, "base")
            await migrate.upgrade(db)
        finally:
            await db.dispose()
        if not seed:
            return created_db, []
        async with Ledger.open(settings=settings) as ledger:
            return created_db, await ledger.seed_default_agents()

    created_db, created = run(go)
    if created_db:
        console.print(f"created {where}", highlight=False)
    console.print(f"database ready at revision {migrate.head_revision()}")
    if seed:
        console.print(f"default agents created: {', '.join(created) or 'none (already present)'}")
