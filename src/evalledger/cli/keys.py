"""``evalledger keys ...`` and ``evalledger projects ...``: tenancy administration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import typer
from rich.table import Table

from evalledger.cli.common import console, run, settings_or_exit
from evalledger.cli.lazy import lazy_module
from evalledger.cli.listing import id_column, print_json, print_listing, print_table
from evalledger.cli.options import JsonOpt, ProjectOpt

if TYPE_CHECKING:
    from evalledger.tenancy import service as tenancy
    from evalledger.tenancy.service import KeyInfo
else:
    tenancy = lazy_module("evalledger.tenancy.service")

keys_app = typer.Typer(help="API keys (stored only as hashes).", no_args_is_help=True)
projects_app = typer.Typer(help="Projects (tenants).", no_args_is_help=True)


async def _in_uow(fn, *, write: bool):  # type: ignore[no-untyped-def]
    from evalledger.db import migrate
    from evalledger.db.engine import Database
    from evalledger.uow import UnitOfWork

    db = Database(settings_or_exit())
    try:
        await migrate.ensure_current(db)
        async with UnitOfWork(db, write=write, tenant_scoped=False) as uow:
            return await fn(uow)
    finally:
        await db.dispose()


@keys_app.command("create")
def create_key(
    scope: Literal["read", "write", "admin"] = typer.Option(  # bad value: exit 2
        ..., "--scope", help="read, write or admin"
    ),
    name: str = typer.Option(..., "--name", help="a label for the key"),
    project: str | None = ProjectOpt,
) -> None:
    """Create a key. The secret is printed once, as the last line of stdout."""
    from evalledger.db.base import DEFAULT_PROJECT_NAME

    project = project or DEFAULT_PROJECT_NAME
    created = run(
        lambda: _in_uow(
            lambda uow: tenancy.create_key(uow, name=name, scope=scope, project=project),
            write=True,
        )
    )
    info = created.info
    console.print(
        f"created key {info.id} ({info.scope}) for project {info.project!r}; "
        "store the secret now, it cannot be shown again:",
        highlight=False,
    )
    print(created.secret)


@keys_app.command("list")
def list_keys(as_json: bool = JsonOpt) -> None:
    """List keys (never their secrets)."""
    keys = run(lambda: _in_uow(tenancy.list_keys, write=False))
    print_listing(keys, _keys_table, as_json=as_json)


def _keys_table(keys: list[KeyInfo]) -> Table:
    table = Table(
        id_column("id"),
        id_column("prefix"),
        id_column("name"),
        "scope",
        id_column("project"),
        "created",
        "revoked",
    )
    for k in keys:
        table.add_row(
            str(k.id),
            k.prefix,
            k.name,
            k.scope,
            k.project,
            k.created_at.isoformat(timespec="seconds"),
            k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else "-",
        )
    return table


@keys_app.command("revoke")
def revoke_key(key: str = typer.Argument(..., help="key id or prefix")) -> None:
    """Revoke a key: it stops working at once."""
    info = run(lambda: _in_uow(lambda uow: tenancy.revoke_key(uow, key), write=True))
    console.print(f"revoked key {info.id} ({info.name})")


@projects_app.command("create")
def create_project(name: str = typer.Argument(...)) -> None:
    """Create a project."""
    project = run(lambda: _in_uow(lambda uow: tenancy.create_project(uow, name), write=True))
    console.print(f"created project {project.name!r} ({project.id})")


@projects_app.command("list")
def list_projects(as_json: bool = JsonOpt) -> None:
    """List projects."""
    projects = run(lambda: _in_uow(tenancy.list_projects, write=False))
    if as_json:
        print_json([{"id": p.id, "name": p.name, "created_at": p.created_at} for p in projects])
        return
    table = Table(id_column("id"), id_column("name"), "created")
    for p in projects:
        table.add_row(str(p.id), p.name, p.created_at.isoformat(timespec="seconds"))
    print_table(table)


def register(root: typer.Typer) -> None:
    root.add_typer(keys_app, name="keys")
    root.add_typer(projects_app, name="projects")
