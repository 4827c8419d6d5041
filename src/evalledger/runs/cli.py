"""``evalledger runs list|show|samples``: the evaluation runs recorded or imported.

Light at import (typer only): the ledger and the schemas load when a command runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import typer

from evalledger.cli.common import EXIT_ERROR, EXIT_USAGE, fail, run, with_ledger
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


@app.command("import")
def import_logs(
    paths: list[Path] = typer.Argument(..., metavar="PATH...", help="log files or folders"),
    tag: list[str] | None = typer.Option(None, "--tag", help="repeatable: added to every run"),
    agent: str | None = typer.Option(None, "--agent", help="the agent these runs evaluate"),
    agent_version: str | None = typer.Option(None, "--agent-version"),
    as_results: bool = typer.Option(
        False, "--as-results", help="also record each sample as a result of --agent"
    ),
    scorer: str | None = typer.Option(
        None, "--scorer", help="with --as-results: the scorer that is the result's score"
    ),
    pass_threshold: float | None = typer.Option(
        None, "--pass-threshold", help="with --as-results: a result passed at this value"
    ),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Import harness logs (Inspect AI, lm-evaluation-harness, promptfoo, OpenAI evals; the
    format is detected). A folder imports every log in it. Each file is one transaction;
    importing it again changes nothing. With --agent A --as-results each sample is also a
    result of A (its counters, XP and `results list --metadata run_id=ID` see it)."""
    if as_results and agent is None:
        fail("--as-results needs --agent (the agent the runs evaluate)")
    from evalledger.runs.formats import find_logs

    files: list[Path] = []
    for path in paths:
        files.extend(p for p, _ in find_logs(path)) if path.is_dir() else files.append(path)
    if not files:
        fail("no importable log found in " + ", ".join(map(str, paths)), EXIT_ERROR)

    async def go(ledger: Any) -> list[Any]:
        out = []
        for file in files:
            for recorded in await ledger.import_run(
                file,
                tags=tag or (),
                agent=agent,
                agent_version=agent_version,
                as_results=as_results,
                scorer=scorer,
                pass_threshold=pass_threshold,
            ):
                out.append((file, recorded))
        return out

    imported = run(lambda: with_ledger(go, project=project))
    if as_json:
        print_json([recorded for _, recorded in imported])
        return
    for file, recorded in imported:
        r = recorded.run
        what = (
            f"imported {recorded.samples_written} samples"
            if recorded.created
            else ("already imported, unchanged")
        )
        typer.echo(f"{r.id}  {r.harness}  {r.task}  {r.model or '-'}  {file.name}: {what}")


@app.command("export")
def export(
    run_id: str = typer.Argument(..., metavar="RUN"),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv or parquet"),
    output: Path = typer.Option(..., "--output", "-o", help="the file to write"),
    project: str | None = ProjectOpt,
) -> None:
    """Write a run's samples to a file, page by page (flat memory): JSONL (one sample per
    line, as the API returns it), CSV (one row per sample and scorer) or Parquet (the CSV's
    rows; needs the optional pyarrow package)."""
    from evalledger.runs.export import write_samples

    if fmt not in ("jsonl", "csv", "parquet"):
        fail(f"--format: expected jsonl, csv or parquet, not {fmt!r}")
    written = run(
        lambda: with_ledger(
            lambda ledger: write_samples(ledger, run_id, fmt, output), project=project
        )
    )
    typer.echo(f"wrote {written} samples to {output}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="runs")


def _usage_errors_exit_2(call: Callable[[Any], Awaitable[Any]], project: str | None) -> Any:
    """Run ``call`` on a ledger; a ValidationFailed exits 2 (bad usage), because exit 1 is
    the regression gate's answer and a CI job must tell a typo from a regression."""

    async def go(ledger: Any) -> Any:
        from evalledger.errors import ValidationFailed

        try:
            return await call(ledger)
        except ValidationFailed as exc:
            fail(exc.message, EXIT_USAGE)

    return run(lambda: with_ledger(go, project=project))


@app.command("compare")
def compare(
    base: str = typer.Argument(..., metavar="BASE", help="the run to compare against"),
    candidate: str = typer.Argument(..., metavar="CANDIDATE", help="the new run"),
    scorer: list[str] | None = typer.Option(None, "--scorer", help="repeatable; default all"),
    fail_on_regression: bool = typer.Option(
        False, "--fail-on-regression", help="exit 1 when the gate fails (the CI gate)"
    ),
    min_effect: float = typer.Option(0.0, "--min-effect", help="smallest drop that counts"),
    alpha: float = typer.Option(0.05, "--alpha", help="significance level (Holm-corrected)"),
    allow_dataset_change: bool = typer.Option(
        False, "--allow-dataset-change", help="gate even when the dataset hashes differ"
    ),
    rounds: int = typer.Option(1000, "--rounds", help="bootstrap rounds"),
    seed: int = typer.Option(0, "--seed", help="bootstrap seed"),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """CANDIDATE against BASE sample by sample: per scorer the paired means, the difference
    with a 95% interval, the p-value, the improved/regressed/unchanged/missing counts and the
    regressed samples. With --fail-on-regression: exit 1 when a scorer regressed
    significantly (Holm across the scorers) or the dataset changed, 0 otherwise; 2 for bad
    usage (an unknown scorer, a bad run id), 3 for an unknown run."""
    result = _usage_errors_exit_2(
        lambda ledger: ledger.compare_runs(
            base,
            candidate,
            scorer=scorer or None,
            alpha=alpha,
            min_effect=min_effect,
            allow_dataset_change=allow_dataset_change,
            rounds=rounds,
            seed=seed,
        ),
        project,
    )
    if as_json:
        print_json(result)
    else:
        from evalledger.runs.compare_render import print_comparison

        print_comparison(result)
    if fail_on_regression and not result.gate.passed:
        raise typer.Exit(EXIT_ERROR)


@app.command("leaderboard")
def leaderboard(
    task: str = typer.Option(..., "--task", help="the task the models ran"),
    scorer: str | None = typer.Option(None, "--scorer", help="needed when runs use several"),
    model: list[str] | None = typer.Option(None, "--model", help="repeatable; default all"),
    alpha: float = typer.Option(0.05, "--alpha", help="significance level (Holm-corrected)"),
    ratings: bool = typer.Option(False, "--ratings", help="add Bradley-Terry ratings"),
    rounds: int = typer.Option(1000, "--rounds", help="bootstrap rounds"),
    seed: int = typer.Option(0, "--seed", help="bootstrap seed"),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The newest run of each model on TASK, ranked with 95% intervals; a model is called
    better than another only where the paired test (Holm-corrected) says so."""
    result = _usage_errors_exit_2(
        lambda ledger: ledger.run_leaderboard(
            task,
            scorer=scorer,
            model=model or None,
            alpha=alpha,
            rounds=rounds,
            seed=seed,
            ratings=ratings,
        ),
        project,
    )
    if as_json:
        print_json(result)
        return
    from evalledger.runs.compare_render import print_leaderboard

    print_leaderboard(result)
