"""``evalledger events list|show`` and ``evalledger leaderboard``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Column, Table

from evalledger.cli.common import console, fail, run, with_ledger
from evalledger.cli.listing import id_column, print_json, print_page, print_table
from evalledger.cli.options import CursorOpt, JsonOpt, ProjectOpt, limit_option, when_option

if TYPE_CHECKING:  # a pydantic model: not imported at start-up
    from evalledger.competitions.schemas import EventOut

app = typer.Typer(help="Multi-agent events (Olympics and the like).", no_args_is_help=True)


@app.command("list")
def list_events(
    event_type: str | None = typer.Option(None, "--type", help="only this event type"),
    participant: str | None = typer.Option(None, "--participant", help="only with this agent"),
    start: datetime | None = when_option("--start", end=False, help="created at or after"),
    end: datetime | None = when_option("--end", end=True, help="created at or before"),
    limit: int = limit_option(),
    cursor: str | None = CursorOpt,
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Events, newest first, with participants and winners (`events show` for scores)."""
    print_page(
        lambda ledger: ledger.list_events(
            event_type=event_type,
            participant=participant,
            start=start,
            end=end,
            limit=limit,
            cursor=cursor,
        ),
        _events_table,
        project=project,
        as_json=as_json,
    )


def _events_table(events: Sequence[EventOut]) -> Table:
    table = Table(
        id_column("id"),
        Column("when (UTC)", no_wrap=True),
        id_column("type"),
        "participants",
        "winners",
    )
    for e in events:
        table.add_row(
            str(e.id),
            e.created_at.strftime("%Y-%m-%d %H:%M"),
            e.event_type,
            ", ".join(e.participants),
            ", ".join(e.winners),
        )
    return table


@app.command("show")
def show_event(
    event_id: uuid.UUID, project: str | None = ProjectOpt, as_json: bool = JsonOpt
) -> None:
    """One event: what each participant scored, earned and lost."""
    e = run(lambda: with_ledger(lambda ledger: ledger.get_event(event_id), project=project))
    if as_json:
        print_json(e)
        return
    summary = Table(show_header=False, title=f"event {e.id}")
    summary.add_row("type", e.event_type)
    summary.add_row("when", e.created_at.isoformat(timespec="seconds"))
    summary.add_row("questions", str(len(e.questions)))
    summary.add_row("winners", ", ".join(e.winners) or "-")
    if e.event_metadata:
        summary.add_row("metadata", json.dumps(e.event_metadata, sort_keys=True))
    console.print(summary)
    table = Table(id_column("agent"), "score", "xp", "penalty", "learning", "winner")
    for name in e.participants:
        score = (e.scores or {}).get(name)
        table.add_row(
            name,
            "-" if score is None else f"{score:g}",
            str((e.xp_awarded or {}).get(name, 0)),
            str((e.penalties or {}).get(name, 0)),
            f"{(e.learning_awarded or {}).get(name, 0.0):g}",
            "yes" if name in e.winners else "",
        )
    print_table(table)


def leaderboard(
    method: str = typer.Option("elo", "--method", help="elo, bradley_terry or xp"),
    rounds: int | None = typer.Option(None, "--rounds", min=1, max=1000, help="bootstrap rounds"),
    seed: int = typer.Option(0, "--seed", min=0, help="bootstrap seed: same seed, same intervals"),
    event_type: str | None = typer.Option(None, "--type", help="only events of this type"),
    project: str | None = ProjectOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Agents ranked by Elo or Bradley-Terry (with 95% intervals) or by XP."""
    if method not in ("elo", "bradley_terry", "xp"):
        fail(f"--method must be elo, bradley_terry or xp, not {method!r}", code=2)
    board = run(
        lambda: with_ledger(
            lambda ledger: ledger.leaderboard(
                method, rounds=rounds, seed=seed, event_type=event_type
            ),
            project=project,
        )
    )
    if as_json:
        print_json(board)
        return

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    title = f"leaderboard ({board.method}, {board.events} scored events)"
    table = Table(
        "rank",
        id_column("agent"),
        "rating",
        Column("95% interval", no_wrap=True),
        "events",
        "level",
        "xp",
        "pass rate",
        title=title,
    )
    for entry in board.entries:
        interval = (
            f"{num(entry.lower)} .. {num(entry.upper)}"
            if entry.lower is not None or entry.upper is not None
            else "-"
        )
        table.add_row(
            str(entry.rank),
            entry.agent_type,
            num(entry.rating),
            interval,
            str(entry.events),
            str(entry.level),
            str(entry.xp),
            f"{entry.pass_rate:.1%}",
        )
    print_table(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="events")
    root.command("leaderboard")(leaderboard)
