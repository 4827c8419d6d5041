"""``evalledger runs list|show|samples``: the evaluation runs recorded or imported.

Light at import (typer only): the ledger and the schemas load when a command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import typer

from evalledger.cli.common import run, with_ledger
from evalledger.cli.listing import id_column, print_json, print_page, print_table
from evalledger.cli.options import CursorOpt, JsonOpt, ProjectOpt, limit_option

app = typer.Typer(
    help="Evaluation runs: imported from harnesses or recorded.", no_args_is_help=True
)


def _interval(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def _runs_table(items: Sequence[Any]) -> Any:
    from rich.table import Table

    table = Table(
        "recorded",
        id_column("id"),
        "harness",
        id_column("task"),
        id_column("model"),
        "samples",
        "tags",
    )
    for r in items:
        table.add_row(
            r.created_at.isoformat(timespec="seconds"),
            str(r.id),
            r.harness,
            r.task,
            r.model or "",
            str(r.sample_count),
            ", ".join(r.tags),
        )
    return table


@app.command("list")
def list_runs(
    task: str | None = typer.Option(None, "--task"),
    model: str | None = typer.Option(None, "--model"),
    harness: str | None = typer.Option(None, "--harness"),
    tag: list[str] | None = typer.Option(None, "--tag", help="repeatable: all must match"),
    agent: str | None = typer.Option(None, "--agent"),
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Runs, newest first; `more: --cursor X` when there is a next page."""
    print_page(
        lambda ledger: ledger.list_runs(
            task=task,
            model=model,
            harness=harness,
            tag=tag or None,
            agent=agent,
            limit=limit,
            cursor=cursor,
        ),
        _runs_table,
        project=project,
        as_json=as_json,
    )


@app.command("show")
def show(
    run_id: str = typer.Argument(..., metavar="RUN"),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """One run: what ran, then per scorer its mean with a 95% interval and what the harness
    reported."""
    found = run(lambda: with_ledger(lambda ledger: ledger.get_run(run_id), project=project))
    if as_json:
        print_json(found)
        return
    from rich.table import Table

    about = Table.grid(padding=(0, 2))
    for label, value in (
        ("run", str(found.id)),
        ("harness", f"{found.harness} {found.harness_version or ''}"),
        ("task", found.task),
        ("model", found.model or ""),
        ("samples", str(found.sample_count)),
        ("source", found.source_file or ""),
        ("tags", ", ".join(found.tags)),
    ):
        about.add_row(label, value)
    print_table(about)
    scorers = Table(id_column("scorer"), "samples", "passed", "mean", "95% CI", "reported")
    for s in found.summary:
        reported = ", ".join(f"{k}={v:g}" for k, v in s.reported.items() if v is not None)
        scorers.add_row(
            s.scorer,
            str(s.samples),
            str(s.passed),
            "" if s.mean is None else f"{s.mean:.4f}",
            _interval(s.ci_low, s.ci_high),
            reported,
        )
    print_table(scorers)


def _samples_table(items: Sequence[Any]) -> Any:
    from rich.table import Table

    table = Table(id_column("sample"), "epoch", "scores", "output")
    for s in items:
        marks = ", ".join(
            f"{name}={'' if v.value is None else f'{v.value:g}'}" for name, v in s.scores.items()
        )
        output = (s.output or "").replace("\n", " ")
        table.add_row(s.sample_id, str(s.epoch), marks, output[:60])
    return table


@app.command("samples")
def samples(
    run_id: str = typer.Argument(..., metavar="RUN"),
    scorer: str | None = typer.Option(None, "--scorer", help="the scorer --passed/--failed use"),
    passed: bool | None = typer.Option(
        None,
        "--passed/--failed",
        help="only samples the scorer passed (failed)",
        show_default=False,
    ),
    search: str | None = typer.Option(None, "--search", help="in sample ids and outputs"),
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """A run's samples with input, target, output and scores (paged)."""
    print_page(
        lambda ledger: ledger.list_samples(
            run_id, scorer=scorer, passed=passed, search=search, limit=limit, cursor=cursor
        ),
        _samples_table,
        project=project,
        as_json=as_json,
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="runs")
