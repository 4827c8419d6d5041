"""``evalledger agents list|show|create``."""

from __future__ import annotations

import typer
from rich.table import Table

from evalledger.cli.common import console, run, with_ledger
from evalledger.cli.listing import id_column, print_json, print_table
from evalledger.cli.options import JsonOpt, ProjectOpt

app = typer.Typer(help="Agents and their metrics.", no_args_is_help=True)


@app.command("list")
def list_agents(project: str | None = ProjectOpt, as_json: bool = JsonOpt) -> None:
    """All agents with level, XP, pass rate and difficulty."""
    agents = run(lambda: with_ledger(lambda ledger: ledger.list_agents(), project=project))
    if as_json:
        print_json(agents)
        return
    table = Table(
        id_column("agent"), "level", "prestige", "xp", "tests", "pass rate", "streak", "difficulty"
    )
    for a in agents:
        streak = (
            f"+{a.consecutive_successes}"
            if a.consecutive_successes
            else f"-{a.consecutive_failures}"
        )
        table.add_row(
            a.agent_type,
            str(a.level),
            str(a.prestige),
            str(a.xp),
            str(a.total_tests_given),
            f"{a.pass_rate:.1%}",
            streak,
            a.current_difficulty,
        )
    print_table(table)


@app.command("show")
def show_agent(agent_type: str, project: str | None = ProjectOpt, as_json: bool = JsonOpt) -> None:
    """One agent's metrics and recent results."""
    m = run(
        lambda: with_ledger(lambda ledger: ledger.get_agent_metrics(agent_type), project=project)
    )
    if as_json:
        print_json(m)
        return
    summary = Table(show_header=False, title=f"agent {m.agent_type}")
    for field in (
        "agent_id",
        "status",
        "level",
        "prestige",
        "xp",
        "custody_level",
        "custody_xp",
        "current_difficulty",
        "total_tests_given",
        "total_tests_passed",
        "total_tests_failed",
        "pass_rate",
        "consecutive_successes",
        "consecutive_failures",
        "learning_score",
        "total_learning_cycles",
        "last_test_date",
    ):
        summary.add_row(field, str(getattr(m, field)))
    print_table(summary)
    history = Table(
        "when", id_column("test"), "difficulty", "passed", "score", "xp", title="recent results"
    )
    for h in m.test_history[:20]:
        history.add_row(
            h.created_at.isoformat(timespec="seconds"),
            h.test_id,
            h.test_difficulty,
            "yes" if h.passed else "no",
            f"{h.score:g}",
            str(h.xp_awarded),
        )
    print_table(history)


@app.command("create")
def create_agent(agent_type: str, project: str | None = ProjectOpt) -> None:
    """Create an agent (recording results never creates one); no-op if it exists."""
    out = run(
        lambda: with_ledger(
            lambda ledger: ledger.create_or_update_agent_metrics(agent_type), project=project
        )
    )
    console.print(f"agent {agent_type!r} {'created' if out.created else 'already exists'}")


def register(root: typer.Typer) -> None:
    from evalledger.agents import results_cli

    root.add_typer(app, name="agents")
    results_cli.register(root)
