"""The Typer root: the shared commands and each domain's command group, loaded on use.

``evalledger --help`` and ``--version`` import only Typer and this module: every top-level
command is listed in :data:`COMMANDS` with the module that defines it (its ``register(root)``)
and its help line, and the module is imported when the command runs (or its own ``--help`` is
asked for). A test keeps :data:`COMMANDS` equal to what the domains' ``register`` functions
define (:func:`evalledger.domains.domain_modules`), so a new domain's command cannot be left out.
"""

from __future__ import annotations

import typer

from evalledger._version import __version__
from evalledger.cli.common import ErrorReportingGroup
from evalledger.cli.lazy import LazyCommand, LazyGroup

#: ``-h`` and ``--help`` on every command (sub-commands inherit the root's context settings).
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

#: Every top-level command, in the order ``evalledger --help`` lists them.
COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "evalledger.cli.db",
        "Create the database if needed, migrate it; --seed also creates the default agents.",
    ),
    "serve": LazyCommand("evalledger.cli.serve", "Serve the REST API (OpenAPI at /docs)."),
    "demo": LazyCommand(
        "evalledger.demo.cli",
        "Fill the database with deterministic demo data across every domain.",
    ),
    "db": LazyCommand("evalledger.cli.db", "Schema migrations."),
    "keys": LazyCommand("evalledger.cli.keys", "API keys (stored only as hashes)."),
    "projects": LazyCommand("evalledger.cli.keys", "Projects (tenants)."),
    "agents": LazyCommand("evalledger.agents.cli", "Agents and their metrics."),
    "results": LazyCommand("evalledger.agents.cli", "Find, filter and compare recorded results."),
    "runs": LazyCommand(
        "evalledger.runs.cli", "Evaluation runs: imported from harnesses or recorded."
    ),
    "events": LazyCommand(
        "evalledger.competitions.cli", "Multi-agent events (Olympics and the like)."
    ),
    "leaderboard": LazyCommand(
        "evalledger.competitions.cli",
        "Agents ranked by Elo or Bradley-Terry (with 95% intervals) or by XP.",
    ),
    "assessments": LazyCommand(
        "evalledger.assessments.cli", "Skill assessments: export and import backups."
    ),
    "verify": LazyCommand(
        "evalledger.assessments.cli",
        "Check data integrity across all projects. Exit 0 when healthy, 1 when issues found.",
    ),
    "stats": LazyCommand(
        "evalledger.assessments.cli",
        "Database statistics: assessments per skill, evidence, students, averages.",
    ),
    "claims": LazyCommand("evalledger.verification.cli", "Claims and their verifications."),
    "consensus": LazyCommand("evalledger.verification.cli", "Consensus decisions on claims."),
    "checkpoints": LazyCommand("evalledger.verification.cli", "Model checkpoints."),
    "backup": LazyCommand(
        "evalledger.ops.cli", "Backups: create, list, restore; CSV export and import."
    ),
    "health": LazyCommand(
        "evalledger.ops.cli",
        "Database, latency, schema, pool, table sizes; exit 1 if unhealthy.",
    ),
    "report": LazyCommand(
        "evalledger.ops.cli",
        "The persistence report: tables, columns, indexes, row counts, recent activity.",
    ),
}


class RootGroup(ErrorReportingGroup, LazyGroup):
    """Commands load on use; every failure ends as one line and the documented exit code."""

    lazy_commands = COMMANDS


app = typer.Typer(
    name="evalledger",
    help="A database-first ledger for AI evaluation results.",
    cls=RootGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
    # Plain click help: Typer's Rich help formatter alone imports markdown-it and pygments,
    # which would double the start-up time of every `--help`.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Configure with EVALLEDGER_* environment variables (see the README)."""


if __name__ == "__main__":
    app()
