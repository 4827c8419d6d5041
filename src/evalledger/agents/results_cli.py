"""``evalledger results list|export|compare``: find results and compare an agent's versions.

Light at import (typer only): the ledger and the schemas load when a command runs.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import typer

from evalledger.agents.results_rows import csv_rows
from evalledger.cli.common import EXIT_USAGE, fail, run, with_ledger
from evalledger.cli.listing import id_column, print_json, print_next_cursor, print_table
from evalledger.cli.options import (
    WHEN_HELP,
    CursorOpt,
    JsonOpt,
    ProjectOpt,
    limit_option,
    parse_when,
)

app = typer.Typer(help="Find, filter and compare recorded results.", no_args_is_help=True)


def _when(name: str, *, until: bool) -> Any:
    def parse(text: str) -> datetime:
        try:
            value = parse_when(text)
        except ValueError as exc:
            fail(f"{name}: {exc}", EXIT_USAGE)
        if isinstance(value, datetime):
            return value
        start = datetime.combine(value, time.min, tzinfo=UTC)
        # --until is exclusive: a date means up to the end of that day.
        return start + timedelta(days=1) if until else start

    edge = "recorded before; a date means up to its end" if until else "recorded at or after"
    return typer.Option(None, name, metavar="WHEN", parser=parse, help=f"{edge}; {WHEN_HELP}")


#: The filter options, shared by ``list`` and ``export`` (the same filters select the same
#: results in both).
AgentOpt = typer.Option(None, "--agent", help="only this agent's results")
PassedOpt = typer.Option(
    None, "--passed/--failed", help="only passed (or only failed) results", show_default=False
)
MinScoreOpt = typer.Option(None, "--min-score", min=0, max=100)
MaxScoreOpt = typer.Option(None, "--max-score", min=0, max=100)
TagOpt = typer.Option(None, "--tag", help="repeatable: all must match")
CategoryOpt = typer.Option(None, "--category")
TestTypeOpt = typer.Option(None, "--test-type")
DifficultyOpt = typer.Option(None, "--difficulty")
AgentVersionOpt = typer.Option(None, "--agent-version")
MetadataOpt = typer.Option(
    None, "--metadata", metavar="KEY=VALUE", help="repeatable: metadata key equals value"
)
SortOpt = typer.Option("time", "--sort", help="time or score")
AscOpt = typer.Option(False, "--asc", help="oldest (or lowest) first")


def _filters(**given: Any) -> dict[str, Any]:
    """The options as the keyword arguments of ``list_results``/``export_results``, checked."""
    if given["sort"] not in ("time", "score"):
        fail(f"--sort: expected time or score, not {given['sort']!r}")
    low, high = given["min_score"], given["max_score"]
    if low is not None and high is not None and low > high:
        fail("--min-score is greater than --max-score")
    given["order"] = "asc" if given.pop("ascending") else "desc"
    given["tag"] = given["tag"] or None
    given["metadata"] = given["metadata"] or None
    return given


@app.command("list")
def list_results(
    agent: str | None = AgentOpt,
    passed: bool | None = PassedOpt,
    min_score: float | None = MinScoreOpt,
    max_score: float | None = MaxScoreOpt,
    since: datetime | None = _when("--since", until=False),
    until: datetime | None = _when("--until", until=True),
    tag: list[str] | None = TagOpt,
    category: str | None = CategoryOpt,
    test_type: str | None = TestTypeOpt,
    difficulty: str | None = DifficultyOpt,
    agent_version: str | None = AgentVersionOpt,
    metadata: list[str] | None = MetadataOpt,
    sort: str = SortOpt,
    ascending: bool = AscOpt,
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
    as_csv: bool = typer.Option(False, "--csv", help="print CSV (lists and objects as JSON)"),
) -> None:
    """Results, newest first, filtered; `more: --cursor X` when there is a next page."""
    if as_json and as_csv:
        fail("--json and --csv: choose one")
    filters = _filters(
        agent=agent,
        test_type=test_type,
        category=category,
        difficulty=difficulty,
        passed=passed,
        min_score=min_score,
        max_score=max_score,
        since=since,
        until=until,
        tag=tag,
        agent_version=agent_version,
        metadata=metadata,
        sort=sort,
        ascending=ascending,
    )
    page = run(
        lambda: with_ledger(
            lambda ledger: ledger.list_results(**filters, limit=limit, cursor=cursor),
            project=project,
        )
    )
    if as_json:
        print_json(page)
    elif as_csv:
        _print_csv(page.items)
        if page.next_cursor:  # stdout stays pure CSV
            typer.echo(f"more: --cursor {page.next_cursor}", err=True)
    else:
        _print_results(page.items)
        print_next_cursor(page.next_cursor)


def _print_results(items: list[Any]) -> None:
    from rich.table import Table

    table = Table(
        "recorded", id_column("id"), id_column("agent"), "version", "passed", "score", "tags"
    )
    for r in items:
        table.add_row(
            r.created_at.isoformat(timespec="seconds"),
            str(r.id),
            r.ai_type,
            r.agent_version or "",
            "yes" if r.passed else "no",
            f"{r.score:g}",
            ", ".join(r.tags),
        )
    print_table(table)


def _print_csv(items: list[Any]) -> None:
    sys.stdout.write(csv_rows(items, header=True))
    sys.stdout.flush()


@app.command("export")
def export_results(
    output: Path = typer.Option(..., "--output", "-o", help="the file to write (replaced)"),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv"),
    agent: str | None = AgentOpt,
    passed: bool | None = PassedOpt,
    min_score: float | None = MinScoreOpt,
    max_score: float | None = MaxScoreOpt,
    since: datetime | None = _when("--since", until=False),
    until: datetime | None = _when("--until", until=True),
    tag: list[str] | None = TagOpt,
    category: str | None = CategoryOpt,
    test_type: str | None = TestTypeOpt,
    difficulty: str | None = DifficultyOpt,
    agent_version: str | None = AgentVersionOpt,
    metadata: list[str] | None = MetadataOpt,
    sort: str = SortOpt,
    ascending: bool = AscOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Every result matching the filters into a file (JSONL or CSV), streamed page by page."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format: expected jsonl or csv, not {fmt!r}")
    filters = _filters(
        agent=agent,
        test_type=test_type,
        category=category,
        difficulty=difficulty,
        passed=passed,
        min_score=min_score,
        max_score=max_score,
        since=since,
        until=until,
        tag=tag,
        agent_version=agent_version,
        metadata=metadata,
        sort=sort,
        ascending=ascending,
    )
    done = run(
        lambda: with_ledger(
            lambda ledger: ledger.export_results(output, format=fmt, **filters),
            project=project,
        )
    )
    if as_json:
        print_json(done)
    else:
        typer.echo(f"exported {done.count} results to {done.path}")


@app.command("compare")
def compare(
    agent: str = typer.Option(..., "--agent", help="the agent whose results are compared"),
    by: str = typer.Option(
        "agent_version", "--by", help="agent_version, tag, category or metadata.KEY"
    ),
    since: datetime | None = _when("--since", until=False),
    until: datetime | None = _when("--until", until=True),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """An agent's results grouped by a field: pass rate and mean score with 95% intervals."""
    summary = run(
        lambda: with_ledger(
            lambda ledger: ledger.summarize_results(agent, group_by=by, since=since, until=until),
            project=project,
        )
    )
    if as_json:
        print_json(summary)
        return
    from rich.table import Column, Table

    table = Table(
        id_column(by),
        Column("results", no_wrap=True),
        Column("passed", no_wrap=True),
        Column("pass rate", no_wrap=True),
        Column("95% CI", no_wrap=True),
        Column("mean", no_wrap=True),
        Column("95% CI ", no_wrap=True),
        title=f"{agent} by {by}",
    )
    for g in summary.groups:
        rate = g.pass_rate_interval
        spread = g.mean_score_interval
        table.add_row(
            "(none)" if g.key is None else g.key,
            str(g.count),
            str(g.passed),
            f"{g.pass_rate:.1%}",
            f"{rate.low:.1%}-{rate.high:.1%}",
            f"{g.mean_score:.2f}",
            "-" if spread is None else f"{spread.low:.2f}-{spread.high:.2f}",
        )
    print_table(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="results")
