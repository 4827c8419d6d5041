"""The Typer root: mounts the shared commands and each domain's command group.

Building this tree imports every command module, so those modules import only Typer, Rich
and light helpers at module level (see :mod:`evalledger.cli.lazy`): ``evalledger --help``
and ``--version`` then start in about the time Typer itself takes.
"""

from __future__ import annotations

import typer

from evalledger._version import __version__
from evalledger.cli import db as db_cli
from evalledger.cli.keys import keys_app, projects_app
from evalledger.cli.serve import serve
from evalledger.domains import domain_modules

#: ``-h`` and ``--help`` on every command (sub-commands inherit the root's context settings).
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="evalledger",
    help="A database-first ledger for AI evaluation results.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,
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


app.command("init")(db_cli.init)
app.command("serve")(serve)
app.add_typer(db_cli.app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(projects_app, name="projects")
for _module in domain_modules("cli"):
    _module.register(app)

if __name__ == "__main__":
    app()
