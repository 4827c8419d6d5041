"""``evalledger agents list|show|create``."""

from __future__ import annotations

import typer
from rich.table import Table

from evalledger.cli.common import console, run, with_ledger

app = typer.Typer(help="Agents and their metrics.", no_args_is_help=True)

ProjectOpt = typer.Option(None, "--project", help="project name (default: default)")


@app.command("list")
def list_agents(project: str | None = ProjectOpt) -> None:
    """All agents with level, XP, pass rate and difficulty."""
    agents = run(lambda: with_ledger(lambda ledger: ledger.list_agents(), project=project))
    table = Table("agent", "level", "prestige", "xp", "tests", "pass rate", "streak", "difficulty")
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
    console.print(table)


@app.command("show")
def show_agent(agent_type: str, project: str | None = ProjectOpt) -> None:
    """One agent's metrics and recent results."""
    m = run(
        lambda: with_ledger(lambda ledger: ledger.get_agent_metrics(agent_type), project=project)
    )
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
    console.print(summary)
    history = Table("when", "test", "difficulty", "passed", "score", "xp", title="recent results")
    for h in m.test_history[:20]:
        history.add_row(
            h.created_at.isoformat(timespec="seconds"),
            h.test_id,
            h.test_difficulty,
            "yes" if h.passed else "no",
            f"{h.score:g}",
            str(h.xp_awarded),
        )
    console.print(history)


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
    root.add_typer(app, name="agents")
