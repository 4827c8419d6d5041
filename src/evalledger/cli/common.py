"""What every CLI command shares: opening the ledger, running async code, reporting errors.

Commands are thin: parse options, call the ledger or a service, render with Rich. Every
failure becomes one line on stderr and the documented exit code (0 success, 1 domain error or
failed check, 2 bad usage or configuration, 3 not found, 4 schema not current), decided by
:func:`evalledger.errors.exit_code`; no traceback, for user mistakes or otherwise.

Only Typer, Rich and the standard library are imported at module level: every command module
imports this one, and ``evalledger --help`` must not pay for SQLAlchemy, pydantic or FastAPI
(tests/unit/test_cli_startup.py). Heavy imports go inside the functions that need them.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException

from evalledger import errors
from evalledger.redact import redact

if TYPE_CHECKING:
    from evalledger.config import Settings

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

EXIT_ERROR = errors.EXIT_ERROR
EXIT_USAGE = errors.EXIT_USAGE
EXIT_NOT_FOUND = errors.EXIT_NOT_FOUND
EXIT_SCHEMA = errors.EXIT_SCHEMA

#: Typer's own ways out (exit codes, usage errors): not ours to report.
_PASS_THROUGH = (typer.Exit, typer.Abort, TyperException)

#: Set to print the traceback of an unexpected error (for a bug report) above its one line.
DEBUG_ENV = "EVALLEDGER_DEBUG"


def settings_or_exit() -> Settings:
    from evalledger.config import ConfigError, get_settings

    try:
        return get_settings()
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


def as_domain_error(exc: BaseException) -> errors.EvalLedgerError:
    """Any failure of a command as the project's error: the one table of messages and codes."""
    if isinstance(exc, errors.EvalLedgerError):
        return exc
    from pydantic import ValidationError as PydanticValidationError

    if isinstance(exc, PydanticValidationError):
        return errors.from_validation_error(exc)
    from evalledger.config import ConfigError, get_settings
    from evalledger.db import failures

    try:
        database_url = get_settings().database_url
    except ConfigError as bad:
        return bad
    translated = failures.translate(exc, database_url)
    if translated is not None:
        return translated
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return errors.EvalLedgerError(f"{exc.strerror}{where}")
    return errors.EvalLedgerError(
        f"unexpected {type(exc).__name__}: {exc} (set {DEBUG_ENV}=1 for the traceback)"
    )


def report_error(exc: BaseException) -> NoReturn:
    """One line on stderr and the documented exit code; the traceback only when debugging."""
    error = as_domain_error(exc)
    if os.environ.get(DEBUG_ENV) and error is not exc:
        traceback.print_exception(exc, file=sys.stderr)
    err_console.print(f"[red]error:[/red] {escape(redact(error.message))}")
    sys.stderr.flush()
    raise typer.Exit(errors.exit_code(error)) from None


def run(coro_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run async CLI work, turning every failure into one line and an exit code."""
    import asyncio

    try:
        return asyncio.run(coro_factory())
    except _PASS_THROUGH:
        raise
    except Exception as exc:
        report_error(exc)


class ErrorReportingGroup(TyperGroup):
    """The root command group: whatever a command raises ends as one line and an exit code.

    :func:`run` reports what async work raises; this catches the rest (option parsing in a
    command body, rendering), so no command ever ends in a traceback.
    """

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:
            raise
        except Exception as exc:
            report_error(exc)


async def with_ledger(fn: Callable[[Any], Awaitable[T]], *, project: str | None = None) -> T:
    from evalledger.sdk.ledger import Ledger

    async with Ledger.open(settings=settings_or_exit(), project=project) as ledger:
        return await fn(ledger)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Refuse bad usage (exit 2 unless ``code`` says otherwise) with one line."""
    err_console.print(f"[red]error:[/red] {escape(message)}")
    sys.stderr.flush()
    raise typer.Exit(code)
