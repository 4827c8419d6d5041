"""What users read (CLI help, the OpenAPI descriptions at /docs, the SDK's docstrings) names
the original systems, never the specification files ("seed 003") they were written from."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from evalledger.api.app import create_app
from evalledger.cli.main import app as cli_app
from evalledger.config import load_settings
from evalledger.sdk.client import Client
from evalledger.sdk.ledger import Ledger

SPEC_NUMBER = re.compile(r"\bseeds? ?0\d\d|\bseed(?:'s| documents?)\b", re.IGNORECASE)


def _commands(command: Any, ctx: typer.Context) -> Iterator[tuple[str, Any]]:
    """Every command under ``command``, through Click's (lazy-loading aware) group API."""
    yield ctx.command_path, command
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _commands(sub, typer.Context(sub, info_name=name, parent=ctx))


def test_cli_help_names_no_spec_files() -> None:
    root = typer.main.get_command(cli_app)
    found, seen = [], 0
    for path, command in _commands(root, typer.Context(root, info_name="evalledger")):
        seen += 1
        texts = [command.help or "", command.short_help or ""]
        texts += [getattr(p, "help", None) or "" for p in command.params]
        found += [f"{path}: {m.group(0)!r}" for t in texts for m in SPEC_NUMBER.finditer(t)]
    assert seen > 20  # the walk reached the subcommands
    assert not found, found


def test_openapi_names_no_spec_files(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    text = json.dumps(create_app(settings).openapi())
    found = [text[max(0, m.start() - 60) : m.end() + 20] for m in SPEC_NUMBER.finditer(text)]
    assert not found, found


def test_sdk_docstrings_name_no_spec_files() -> None:
    found = [
        f"{cls.__name__}.{name}"
        for cls in (Ledger, Client)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and SPEC_NUMBER.search(inspect.getdoc(member) or "")
    ]
    assert not found, found
