"""``evalledger db upgrade|downgrade|current|history`` and ``evalledger init``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from evalledger.cli.common import console, run, settings_or_exit
from evalledger.cli.lazy import lazy_module
from evalledger.cli.listing import id_column, print_json, print_table
from evalledger.cli.options import JsonOpt

if TYPE_CHECKING:
    from evalledger.db import migrate
    from evalledger.db.engine import Database
else:
    migrate = lazy_module("evalledger.db.migrate")

app = typer.Typer(help="Schema migrations.", no_args_is_help=True)


def _db() -> Database:
    from evalledger.db.engine import Database

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
    state = "(head)" if rev == head else f"(head is {head}: run `evalledger db upgrade`)"
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


def init(
    seed: bool = typer.Option(False, "--seed", help="create the default agents"),
    drop: bool = typer.Option(False, "--drop", help="drop every table first (destroys data)"),
) -> None:
    """Create and migrate the database; with --seed also create the default agents."""
    from evalledger.db.engine import Database
    from evalledger.sdk.ledger import Ledger

    settings = settings_or_exit()

    async def go() -> list[str]:
        db = Database(settings)
        try:
            if drop:
                await migrate.downgrade(db, "base")
            await migrate.upgrade(db)
        finally:
            await db.dispose()
        if not seed:
            return []
        async with Ledger.open(settings=settings) as ledger:
            return await ledger.seed_default_agents()

    created = run(go)
    console.print(f"database ready at revision {migrate.head_revision()}")
    if seed:
        console.print(f"default agents created: {', '.join(created) or 'none (already present)'}")


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.add_typer(app, name="db")
