"""``evalledger db upgrade|downgrade|current|history|revision`` and ``evalledger init``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer
from rich.table import Table

from evalledger.cli.common import EXIT_ERROR, EXIT_USAGE, console, fail, run, settings_or_exit
from evalledger.cli.lazy import lazy_module
from evalledger.cli.listing import id_column, print_json, print_table
from evalledger.cli.options import JsonOpt

if TYPE_CHECKING:
    from evalledger.db import migrate
    from evalledger.db.engine import Database
else:
    migrate = lazy_module("evalledger.db.migrate")

app = typer.Typer(help="Schema migrations.", no_args_is_help=True)


#: Relative revisions (``-1``, ``-2``) start with a dash: let them through as arguments
#: instead of failing with "No such option: -1".
_RELATIVE_REVISIONS = {"ignore_unknown_options": True}

T = TypeVar("T")


def _db() -> Database:
    from evalledger.db.engine import Database

    return Database(settings_or_exit())


def _migrate_to(step: Any, revision: str) -> str | None:
    """Run ``migrate.upgrade``/``downgrade`` to ``revision``; the revision reached."""

    async def go() -> str | None:
        db = _db()
        try:
            await step(db, revision)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    return _usage_errors_exit_2(go)


def _usage_errors_exit_2(fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``run(fn)``, but a revision Alembic cannot use is bad usage (exit 2), not a failure."""
    refused: list[migrate.MigrationError] = []

    async def go() -> T | None:
        try:
            return await fn()
        except migrate.MigrationError as exc:
            refused.append(exc)
            return None

    result = run(go)
    if refused:
        fail(refused[0].message, EXIT_USAGE)
    return cast(T, result)


@app.command(context_settings=_RELATIVE_REVISIONS)
def upgrade(
    revision: str = typer.Argument("heads", help="target revision, e.g. +1 or 0006"),
) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    console.print(f"database at revision {_migrate_to(migrate.upgrade, revision)}")


@app.command(context_settings=_RELATIVE_REVISIONS)
def downgrade(
    revision: str = typer.Argument(..., help="target revision: -1 (one step), an id, or base"),
) -> None:
    """Migrate the database down to REVISION (take a backup first: downgrades drop data)."""
    reached = _migrate_to(migrate.downgrade, revision)
    console.print(f"database at revision {reached or 'base (empty)'}")


@app.command()
def revision(
    message: str = typer.Option(..., "-m", "--message", help="what the migration does"),
    autogenerate: bool = typer.Option(
        False, "--autogenerate", help="fill it with the difference between models and database"
    ),
) -> None:
    """Write a new migration file (numbered after the newest) into the migrations folder."""

    async def go() -> str:
        db = _db()
        try:
            return str(await migrate.revision(db, message, autogenerate=autogenerate))
        finally:
            await db.dispose()

    path = _usage_errors_exit_2(go)
    console.print(f"new migration: {path}", soft_wrap=True)


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
def history(as_json: bool = JsonOpt) -> None:
    """List migrations, newest first."""
    revisions = migrate.history()
    if as_json:
        print_json([{"revision": r, "down_revision": d, "message": m} for r, d, m in revisions])
        return
    table = Table(id_column("revision"), id_column("down"), "message")
    for rev, down, message in revisions:
        table.add_row(rev, down or "-", message)
    print_table(table)


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
    from evalledger.db.engine import Database
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


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.add_typer(app, name="db")
