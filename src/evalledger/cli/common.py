"""What every CLI command shares: opening the ledger, running async code, reporting errors.

Commands are thin: parse options, call the ledger or a service, render with Rich. Domain
errors become one line on stderr and a non-zero exit code; no traceback for user mistakes.

Only Typer, Rich and the standard library are imported at module level: every command module
imports this one, and ``evalledger --help`` must not pay for SQLAlchemy, pydantic or FastAPI
(tests/unit/test_cli_startup.py). Heavy imports go inside the functions that need them.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from evalledger.errors import EvalLedgerError, NotFoundError, SchemaOutOfDate

if TYPE_CHECKING:
    from evalledger.config import Settings

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_SCHEMA = 4


def settings_or_exit() -> Settings:
    from evalledger.config import ConfigError, get_settings

    try:
        return get_settings()
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def run(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async CLI work, turning domain errors into a message and an exit code."""
    import asyncio

    from evalledger.config import ConfigError

    try:
        return asyncio.run(coro_factory())
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except SchemaOutOfDate as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(EXIT_SCHEMA) from None
    except NotFoundError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except EvalLedgerError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot reach the database: {exc}")
        raise typer.Exit(EXIT_ERROR) from None


async def with_ledger(fn: Callable[[Any], Awaitable[T]], *, project: str | None = None) -> T:
    from evalledger.sdk.ledger import Ledger

    async with Ledger.open(settings=settings_or_exit(), project=project) as ledger:
        return await fn(ledger)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    sys.stderr.flush()
    raise typer.Exit(code)
