"""``evalledger assessments export|import``, ``evalledger verify`` and ``evalledger stats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from evalledger.cli.common import EXIT_ERROR, EXIT_USAGE, console, fail, run, with_ledger
from evalledger.cli.lazy import lazy_module
from evalledger.cli.options import JsonOpt, ProjectOpt, when_text_option
from evalledger.cli.progress import progress

if TYPE_CHECKING:
    from evalledger.assessments import importer, verify_report
    from evalledger.assessments.schemas import DuplicatePolicy
else:
    importer = lazy_module("evalledger.assessments.importer")
    verify_report = lazy_module("evalledger.assessments.verify_report")

app = typer.Typer(help="Skill assessments: export and import backups.", no_args_is_help=True)

#: ``importer.DEFAULT_BATCH_SIZE``, written here so that ``--help`` need not import the
#: importer (a test keeps the two equal).
DEFAULT_BATCH_SIZE = 100


@app.command("export")
def export(
    output: Path = typer.Option(..., "--output", "-o", help="file to write (JSON)"),
    student_id: str | None = typer.Option(None, "--student-id", help="only this student's"),
    skill_type: str | None = typer.Option(None, "--skill-type", help="only this skill"),
    start: str | None = when_text_option("--start", end=False, help="created at or after"),
    end: str | None = when_text_option("--end", end=True, help="created at or before"),
    start_date: str | None = when_text_option("--start-date", end=False, help="", hidden=True),
    end_date: str | None = when_text_option("--end-date", end=True, help="", hidden=True),
    project: str | None = ProjectOpt,
) -> None:
    """Export assessments with their evidence (the MASS backup format), streamed.

    --start-date and --end-date (the MASS script's spelling) are accepted for --start/--end.
    """
    with progress("exported") as bar:
        result = run(
            lambda: with_ledger(
                lambda ledger: ledger.export_assessments(
                    output,
                    student_id=student_id,
                    skill_type=skill_type,
                    start_date=start or start_date,
                    end_date=end or end_date,
                    progress=bar.update,
                ),
                project=project,
            )
        )
    console.print(f"✓ Successfully exported {result.total_assessments} assessments")
    console.print(f"✓ Saved to: {result.output}", soft_wrap=True)


@app.command("import")
def import_(
    input_file: Path = typer.Option(..., "--input", "-i", help="backup file to read"),
    skip_duplicates: bool = typer.Option(False, "--skip-duplicates", help="keep existing rows"),
    update_duplicates: bool = typer.Option(
        False, "--update-duplicates", help="overwrite existing rows with the file's"
    ),
    batch_size: int = typer.Option(
        DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="records per transaction"
    ),
    project: str | None = ProjectOpt,
) -> None:
    """Import a backup. Default: stop with an error at the first duplicate id."""
    if skip_duplicates and update_duplicates:
        fail("--skip-duplicates and --update-duplicates exclude each other", EXIT_USAGE)
    policy: DuplicatePolicy = (
        "skip" if skip_duplicates else "update" if update_duplicates else "error"
    )
    console.print("Starting assessment import...")
    console.print(f"Input file: {input_file}", soft_wrap=True)
    console.print(f"Duplicate handling: {policy}")
    backup = run(lambda: _open(input_file))
    if backup.declared_total is not None:
        console.print(f"Found {backup.declared_total} assessments in backup file")
    else:
        console.print("The backup file does not say how many assessments it holds")
    if backup.export_timestamp:
        console.print(f"Backup timestamp: {backup.export_timestamp}")
    with progress("imported") as bar:
        result = run(
            lambda: with_ledger(
                lambda ledger: ledger.import_assessments(
                    backup, duplicates=policy, batch_size=batch_size, progress=bar.update
                ),
                project=project,
            )
        )
    console.print("✓ Import complete:")
    console.print(f"  - Imported: {result.imported}")
    console.print(f"  - Skipped: {result.skipped}")
    console.print(f"  - Updated: {result.updated}")
    if result.students_imported:
        console.print(f"  - Students imported: {result.students_imported}")


async def _open(path: Path) -> importer.BackupFile:
    """The file's head only (header and students); assessments are streamed while importing."""
    import asyncio

    return await asyncio.to_thread(importer.open_backup_file, path)


def verify(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="list offending ids"),
    fix_orphans: bool = typer.Option(False, "--fix-orphans", help="delete orphaned evidence"),
    as_json: bool = JsonOpt,
) -> None:
    """Check data integrity across all projects. Exit 0 when healthy, 1 when issues found."""
    report = run(
        lambda: with_ledger(
            lambda ledger: ledger.verify(fix_orphans=fix_orphans, all_projects=True)
        )
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        for line in verify_report.render(report, verbose=verbose):
            typer.echo(line)
    if not report.healthy:
        raise typer.Exit(EXIT_ERROR)


def stats(
    project: str | None = typer.Option(
        None, "--project", help="one project's statistics (default: all projects)"
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Database statistics: assessments per skill, evidence, students, averages."""
    result = run(
        lambda: with_ledger(
            lambda ledger: ledger.stats(all_projects=project is None), project=project
        )
    )
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    for line in verify_report.render_statistics(result, numbered=False):
        typer.echo(line)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="assessments")
    root.command("verify")(verify)
    root.command("stats")(stats)
