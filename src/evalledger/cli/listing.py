"""Printing listings: identifiers whole, cursors pasteable, ``--json`` the API's fields.

A Rich table fits itself to the terminal (80 columns when stdout is not a terminal) by
cutting cells with "…" or wrapping them, which turns an agent name, a file name or a cursor
into something nobody can paste back. Here identifier columns never wrap or shorten, and a
table that cannot fit without cutting one is printed wider than the terminal instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from evalledger.cli.common import console as default_console
from evalledger.cli.common import run, with_ledger

T = TypeVar("T")

#: Wide enough for any table; only used to measure a table's natural width.
_UNBOUNDED = 100_000


def id_column(header: str, **options: Any) -> Column:
    """A column of identifiers (names, ids, paths, prefixes): printed whole on one line."""
    return Column(header, no_wrap=True, overflow="ignore", **options)


def print_table(table: Table, console: Console | None = None) -> None:
    """Print ``table``; wider than the terminal if that is what keeping identifiers whole takes.

    Each identifier column gets its longest cell as minimum width. When the minimum widths
    fit, Rich lays the table out in the terminal's width (other columns wrap); when they do
    not, the table is printed at its natural width, one line per row.
    """
    out = console or default_console
    for column in table.columns:
        if column.no_wrap:
            widest = max((_cell_width(cell) for cell in column.cells), default=0)
            column.min_width = max(column.min_width or 0, widest)
    measured = Measurement.get(out, out.options.update_width(_UNBOUNDED), table)
    if measured.minimum <= out.width:
        out.print(table)
        return
    # Rich squeezes a too-wide table without regard to minimum widths: give it all it wants.
    needed = measured.maximum
    # Console.print never goes wider than the console: print through a wider twin instead.
    wide = Console(
        file=out.file,
        width=needed,
        color_system=out.color_system,  # type: ignore[arg-type]  # the same names
        force_terminal=out.is_terminal,
        no_color=out.no_color,
    )
    wide.print(table)


def _cell_width(cell: Any) -> int:
    if isinstance(cell, Text):
        return cell.cell_len
    return Text.from_markup(cell).cell_len if isinstance(cell, str) else 0


def print_next_cursor(cursor: str | None) -> None:
    """``more: --cursor X`` on a line of its own, never wrapped, when there is a next page."""
    if cursor:
        typer.echo(f"more: --cursor {cursor}")


def to_jsonable(value: Any) -> Any:
    """Pydantic models as the API returns them; dataclasses and lists of either likewise."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable) and not isinstance(value, str | bytes):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return to_jsonable(dataclasses.asdict(value))
    return value


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (no Rich: nothing wrapped, nothing coloured)."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, default=_scalar))


def _scalar(value: Any) -> str:
    """Datetimes as ISO 8601 (as the API writes them), UUIDs and the rest as text."""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def print_listing(value: T, table: Callable[[T], Table], *, as_json: bool) -> None:
    """``value`` as JSON with ``--json``, else as the table that ``table`` builds from it."""
    if as_json:
        print_json(value)
    else:
        print_table(table(value))


def print_page(
    fetch: Callable[[Any], Awaitable[Any]],
    table: Callable[[Sequence[Any]], Table],
    *,
    project: str | None,
    as_json: bool,
) -> None:
    """One page of a paged listing: ``fetch(ledger)`` reads it from the project's ledger.

    With ``--json`` the page as the API returns it (``next_cursor`` included); else the
    table of its items, then the next page's cursor.
    """
    page = run(lambda: with_ledger(fetch, project=project))
    print_listing(page, lambda p: table(p.items), as_json=as_json)
    if not as_json:
        print_next_cursor(page.next_cursor)
