"""Commands and modules that cost nothing until they are used.

:class:`LazyGroup` is the root command group: it lists the top-level commands from their help
lines and imports a command's module only when that command runs. Below the root, a command
module's own ``--help`` imports the module, so its module level stays light too: one
that needs, say, :mod:`evalledger.ops.backup` declares

    if TYPE_CHECKING:
        from evalledger.ops import backup as backups
    else:
        backups = lazy_module("evalledger.ops.backup")

and its functions use ``backups.create(...)`` as before: the module (and SQLAlchemy behind it)
is executed at the first attribute access, i.e. when a command that needs it runs. This is the
recipe of the standard library's :class:`importlib.util.LazyLoader`; type checkers see the
real import.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

from typer.core import TyperGroup

if TYPE_CHECKING:
    # Typer's own copy of click (typer.core.TyperGroup is built on it, not on ``click``).
    from typer import _click as click


def lazy_module(name: str) -> ModuleType:
    """``name``, found now and executed on first attribute access."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


class LazyCommand(NamedTuple):
    """A top-level command: the module whose ``register(root)`` defines it, and its help
    line, written out so that listing the commands imports none of them."""

    module: str
    help: str


class LazyGroup(TyperGroup):
    """The root group: a command's module is imported when that command is used.

    ``lazy_commands`` (set by the root, see :mod:`evalledger.cli.main`) names every top-level
    command; ``evalledger --help`` lists them from the help lines alone, and ``--version``
    touches none.
    """

    lazy_commands: Mapping[str, LazyCommand] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.commands, *(n for n in self.lazy_commands if n not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands[cmd_name] = load_command(cmd_name, self.lazy_commands[cmd_name])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, short_help(self.lazy_commands[name].help, limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def load_command(name: str, where: LazyCommand) -> click.Command:
    """Import ``where.module``, let it register itself on a scratch root, take ``name``."""
    import typer

    module = importlib.import_module(where.module)
    scratch = typer.Typer(rich_markup_mode=None)
    module.register(scratch)
    command = typer.main.get_group(scratch).commands.get(name)
    if command is None:
        raise LookupError(f"{where.module}.register() defines no command {name!r}")
    return command


def short_help(text: str, limit: int) -> str:
    """The first sentence of ``text``, cut at a word and marked with ``...`` past ``limit``."""
    first = " ".join(text.split("\n\n")[0].split())
    sentence, dot, _ = first.partition(". ")
    first = sentence + dot.strip()
    if len(first) <= limit:
        return first
    return first[: max(0, limit - 3)].rsplit(" ", 1)[0] + "..."
