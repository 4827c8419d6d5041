"""What every CLI command shares: opening the ledger, running async code, reporting errors.

Commands are thin: parse options, call the ledger or a service, render with Rich. Domain
errors become one line on stderr and a non-zero exit code; no traceback for user mistakes.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError

from evalledger.config import ConfigError, Settings, get_settings
from evalledger.errors import EvalLedgerError, NotFoundError, SchemaOutOfDate
from evalledger.redact import redact

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_SCHEMA = 4

#: SQLSTATEs of a server that answered and turned us away: class 28 (unknown role, wrong
#: password) and 3D000 (no such database). The URL is wrong, not the network.
_REFUSALS = ("28", "3D000")


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from None


def run(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async CLI work, turning domain errors into a message and an exit code."""
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
        err_console.print(f"[red]error:[/red] {redact(exc.message)}")
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        err_console.print(f"[red]error:[/red] cannot reach the database: {redact(str(exc))}")
        raise typer.Exit(EXIT_ERROR) from None
    except DBAPIError as exc:
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
        if not sqlstate.startswith(_REFUSALS):
            raise
        err_console.print(
            f"[red]error:[/red] the database refused the connection: {redact(str(exc.orig))} "
            "(check EVALLEDGER_DATABASE_URL)"
        )
        raise typer.Exit(EXIT_USAGE) from None


async def with_ledger(fn: Callable[[Any], Awaitable[T]], *, project: str | None = None) -> T:
    from evalledger.sdk.ledger import Ledger

    async with Ledger.open(settings=settings_or_exit(), project=project) as ledger:
        return await fn(ledger)


def fail(message: str, code: int = EXIT_ERROR) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    sys.stderr.flush()
    raise typer.Exit(code)
