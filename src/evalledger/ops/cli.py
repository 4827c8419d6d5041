"""``evalledger backup ...``, ``evalledger health`` and ``evalledger report``."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evalledger.cli.common import EXIT_ERROR, console, err_console, run, settings_or_exit
from evalledger.cli.lazy import lazy_module

if TYPE_CHECKING:
    from evalledger.db.engine import Database
    from evalledger.ops import backup as backups
    from evalledger.ops import csvio, health, report
    from evalledger.ops import restore as restores
else:
    backups = lazy_module("evalledger.ops.backup")
    csvio = lazy_module("evalledger.ops.csvio")
    health = lazy_module("evalledger.ops.health")
    report = lazy_module("evalledger.ops.report")
    restores = lazy_module("evalledger.ops.restore")

if TYPE_CHECKING:
    from evalledger.sdk.ledger import Ledger

T = TypeVar("T")

backup_app = typer.Typer(help="Backups: create, list, restore; CSV export and import.")

DEFAULT_BACKUP_DIR = Path("data/backups")


async def _with_db(fn: Callable[[Database], Awaitable[T]]) -> T:
    from evalledger.db.engine import Database

    db = Database(settings_or_exit())
    try:
        return await fn(db)
    finally:
        await db.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _backup_dir(directory: Path, alias: Path | None) -> Path:
    """``--dir`` is the name; ``--output`` (create) and the like still work, unlisted."""
    return alias if alias is not None else directory


@backup_app.command("create")
def backup_create(
    directory: Path = typer.Option(DEFAULT_BACKUP_DIR, "--dir", help="directory for backups"),
    output: Path | None = typer.Option(None, "--output", hidden=True),
    fmt: str = typer.Option(
        "logical",
        "--format",
        help="logical (any backend), native (pg_dump / compressed SQLite copy) or sql",
    ),
    keep: int | None = typer.Option(None, "--keep", min=1, help="keep only the newest N"),
) -> None:
    """Back the database up; the manifest holds per-table counts and SHA-256 checksums."""
    if fmt not in backups.FORMATS:
        err_console.print("[red]error:[/red] --format must be logical, native or sql")
        raise typer.Exit(2)
    target = _backup_dir(directory, output)
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def tick(table: str, rows: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=None)
            bar.update(tasks[table], completed=rows)

        path = run(lambda: _with_db(lambda db: backups.create(db, target, fmt, keep, tick)))  # type: ignore[arg-type]
    info = backups.read_manifest(path)
    rows = sum(t["rows"] for t in info["tables"].values())
    console.print(f"✓ backup written: {path}", highlight=False, soft_wrap=True)
    console.print(
        f"  format {info['format']}, schema {info['schema_revision']}, "
        f"{len(info['tables'])} tables, {rows:,} rows",
        highlight=False,
    )


def _listing(info: backups.BackupInfo) -> dict[str, Any]:
    return {
        "name": info.path.name,
        "path": str(info.path),
        "format": info.format,
        "created_at": info.manifest.get("created_at"),
        "backend": info.manifest.get("backend"),
        "schema_revision": info.manifest.get("schema_revision"),
        "rows": info.total_rows,
        "bytes": info.path.stat().st_size,
        "tables": info.manifest.get("tables", {}),
    }


@backup_app.command("list")
def backup_list(
    directory: Path = typer.Option(DEFAULT_BACKUP_DIR, "--dir", help="backup directory"),
    output: Path | None = typer.Option(None, "--output", hidden=True),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Backups in a directory, newest first, with their manifests' facts."""
    found = backups.list_backups(_backup_dir(directory, output))
    if as_json:
        print(json.dumps([_listing(b) for b in found], indent=2))
        return
    if not found:
        console.print(f"no backups in {_backup_dir(directory, output)}", highlight=False)
        return
    width = max(len(b.path.name) for b in found)
    # The file name is what you pass to `backup restore`: it is never cut short. When the
    # terminal is too narrow for a table, each backup takes two lines instead.
    if console.width >= width + sum(len(h) for h in _FACTS) + 3 * len(_FACTS) + 30:
        table = Table("file", *_FACTS, box=None, pad_edge=False)
        table.columns[0].no_wrap = True
        for b in found:
            table.add_row(b.path.name, *_facts(b, labelled=False))
        console.print(table, crop=False)
        return
    for b in found:
        console.print(b.path.name, highlight=False, soft_wrap=True)
        console.print("  " + ", ".join(_facts(b, labelled=True)), highlight=False, soft_wrap=True)


_FACTS = ("format", "created", "backend", "schema", "rows", "size")


def _facts(b: backups.BackupInfo, *, labelled: bool) -> list[str]:
    """One backup's facts; ``labelled`` names the bare numbers (no column headers then)."""
    schema = str(b.manifest.get("schema_revision", "?"))
    rows = f"{b.total_rows:,}"
    return [
        b.format,
        str(b.manifest.get("created_at", "?"))[:19],
        str(b.manifest.get("backend", "?")),
        f"schema {schema}" if labelled else schema,
        f"{rows} rows" if labelled else rows,
        f"{b.path.stat().st_size / 1024:,.1f} KiB",
    ]


@backup_app.command("restore")
def backup_restore(
    file: Path = typer.Argument(..., help="a backup file (format detected)"),
    force: bool = typer.Option(False, "--force", help="replace a non-empty database"),
) -> None:
    """Check the whole archive, then replace the database in one transaction (or not at all)."""
    with _progress() as bar:
        tasks: dict[str, Any] = {}

        def tick(table: str, rows: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(f"restoring {table}", total=None)
            bar.update(tasks[table], completed=rows)

        result = run(
            lambda: _with_db(lambda db: restores.restore(db, file, force=force, progress=tick))
        )
    total = sum(result.rows.values())
    console.print(f"✓ restored {file} ({result.format}): {total:,} rows", highlight=False)
    if result.verified:
        console.print(
            f"✓ verified: row counts and SHA-256 checksums of all {len(result.rows)} tables "
            "match the manifest",
            highlight=False,
        )
        return
    for line in result.mismatches:
        err_console.print(f"✗ {line}")
    err_console.print("[red]error:[/red] the restored data does not match the manifest")
    raise typer.Exit(EXIT_ERROR)


@backup_app.command("export-csv")
def backup_export_csv(
    table: str = typer.Option(..., "--table"),
    output: Path | None = typer.Option(None, "--output", help="default: <table>.csv"),
) -> None:
    """Write one table as CSV (header line, UTC timestamps, JSON cells as JSON)."""
    target = output or Path(f"{table}.csv")
    count = run(lambda: _with_db(lambda db: csvio.export_csv(db, table, target)))
    console.print(f"✓ exported {count:,} rows of {table} to {target}", highlight=False)


@backup_app.command("import-csv")
def backup_import_csv(
    file: Path = typer.Argument(...),
    table: str = typer.Option(..., "--table"),
) -> None:
    """Load a CSV into a table: all rows or none; a bad row is named by its line."""
    count = run(lambda: _with_db(lambda db: csvio.import_csv(db, table, file)))
    console.print(f"✓ imported {count:,} rows into {table}", highlight=False)


def _health_table(rep: health.HealthReport) -> Table:
    colour = "green" if rep.status == "healthy" else "red"
    table = Table(title=f"evalledger health: [{colour}]{rep.status}[/{colour}]", show_header=False)
    table.add_row("database", f"{rep.database} ({rep.backend})")
    table.add_row("latency", f"{rep.latency_ms} ms" if rep.latency_ms is not None else "-")
    table.add_row(
        "schema",
        f"{rep.schema_revision} (head {rep.head_revision})"
        + ("" if rep.migrations_current else "  [red]out of date[/red]"),
    )
    if rep.pool:
        table.add_row(
            "pool",
            f"{rep.pool['checked_out']} in use of {rep.pool['size']} "
            f"(+{rep.pool['overflow']} overflow)",
        )
    for t in rep.tables:
        size = f", {t.bytes / 1024:,.0f} KiB" if t.bytes is not None else ""
        table.add_row(f"  {t.table}", f"{t.rows:,} rows{size}")
    for p in rep.problems:
        table.add_row("[red]problem[/red]", p)
    for w in rep.warnings:
        table.add_row(f"[yellow]warning[/yellow] ({rep.project})", w)
    if rep.error:
        table.add_row("[red]error[/red]", rep.error)
    return table


async def _project_ledger(db: Database, project: str | None) -> Ledger:
    """A ledger over ``db`` acting for ``project`` (the default project when None)."""
    from evalledger.sdk.ledger import Ledger
    from evalledger.tenancy import service as tenancy
    from evalledger.uow import LOCAL_ACTOR, Actor, UnitOfWork

    actor = LOCAL_ACTOR
    if project is not None:
        async with UnitOfWork(db, write=False, primary=True, tenant_scoped=False) as uow:
            found = await tenancy.get_project(uow, project)
        actor = Actor(project_id=found.id, name=f"local:{project}")
    return Ledger(db, db.settings, actor)


def health_command(
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
    watch: bool = typer.Option(
        False, "--watch", "--monitor", help="live dashboard (Ctrl-C to stop)"
    ),
    diagnose: bool = typer.Option(False, "--diagnose", help="add the database's own view"),
    interval: float = typer.Option(2.0, "--interval", min=0.2, help="--watch refresh seconds"),
    stale_minutes: float = typer.Option(5.0, "--stale-minutes", help="heartbeat age limit"),
    project: str | None = typer.Option(
        None, "--project", help="whose stale heartbeats to warn about (default: default)"
    ),
) -> None:
    """Database, latency, schema, pool, table sizes; exit 1 if unhealthy.

    A project's stale service heartbeats are warnings (exit code unchanged).
    """
    import asyncio
    from datetime import timedelta

    stale = timedelta(minutes=stale_minutes)

    async def once(db: Database) -> health.HealthReport:
        rep = await health.collect(db, diagnose=diagnose)
        if not rep.migrations_current:
            return rep  # the project's tables may not exist yet
        ledger = await _project_ledger(db, project)
        return await health.add_project_warnings(rep, ledger, stale_after=stale)

    if watch:

        async def loop(db: Database) -> health.HealthReport:
            rep = await once(db)
            with Live(_health_table(rep), console=console, refresh_per_second=4) as live:
                try:
                    while True:
                        await asyncio.sleep(interval)
                        rep = await once(db)
                        live.update(_health_table(rep))
                except (KeyboardInterrupt, asyncio.CancelledError):
                    pass
            return rep

        try:
            rep = run(lambda: _with_db(loop))
        except KeyboardInterrupt:
            raise typer.Exit(0) from None
    else:
        rep = run(lambda: _with_db(once))
        if as_json:
            print(rep.model_dump_json(indent=2))
        else:
            console.print(_health_table(rep))
            if rep.diagnostics:
                console.print_json(json.dumps(rep.diagnostics, default=str))
    if rep.status != "healthy":
        raise typer.Exit(EXIT_ERROR)


def report_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="also write the JSON here"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of the summary"),
) -> None:
    """The persistence report: tables, columns, indexes, row counts, recent activity."""
    rep = run(lambda: _with_db(report.build))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(rep.model_dump_json(indent=2))
    if as_json:
        print(rep.model_dump_json(indent=2))
    else:
        table = Table("table", "columns", "indexes", "rows", "last 24 h", "newest")
        for t in rep.tables:
            table.add_row(
                t.table,
                "✓" if t.exists and not t.missing_columns else f"✗ {', '.join(t.missing_columns)}",
                "✓" if not t.missing_indexes else f"✗ {', '.join(t.missing_indexes)}",
                f"{t.rows:,}" if t.rows is not None else "-",
                f"{t.rows_last_24h:,}" if t.rows_last_24h is not None else "-",
                (t.newest or "-")[:19],
            )
        console.print(table)
        console.print(
            f"schema {rep.schema_revision} (head {rep.head_revision}), backend {rep.backend}",
            highlight=False,
        )
        for p in rep.problems:
            console.print(f"✗ {p}", highlight=False)
        console.print(
            "✓ every required table, column and index is present"
            if rep.ok
            else f"✗ {len(rep.problems)} problem(s) found",
            highlight=False,
        )
        if output is not None:
            console.print(f"report written to {output}", highlight=False)
    if not rep.ok:
        raise typer.Exit(EXIT_ERROR)


def register(root: typer.Typer) -> None:
    root.add_typer(backup_app, name="backup")
    root.command("health")(health_command)
    root.command("report")(report_command)
