"""``evalledger demo [--size small|large] [--seed N] [--if-empty]``: fill the database with
realistic demo data (see :mod:`evalledger.demo.generator`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from evalledger.cli.common import EXIT_USAGE, console, fail, run, with_ledger
from evalledger.cli.lazy import lazy_module
from evalledger.cli.options import ProjectOpt
from evalledger.cli.progress import progress

if TYPE_CHECKING:
    from evalledger.demo import generator
else:
    generator = lazy_module("evalledger.demo.generator")

#: The generator's plans, by name (a test keeps this equal to ``generator.PLANS``).
SIZES = ("small", "large")


def demo_command(
    size: str = typer.Option("small", "--size", help="small (seconds) or large (~100,000 results)"),
    seed: int = typer.Option(0, "--seed", help="same seed, same data"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="only when the project has no agents yet (for `make serve`)"
    ),
    project: str | None = ProjectOpt,
) -> None:
    """Fill the database with deterministic demo data across every domain.

    Safe to run twice: when the project already holds the demo data set, nothing is written.
    """
    if size not in SIZES:
        fail(f"--size must be one of {', '.join(SIZES)}", code=EXIT_USAGE)
    keys: list[str] = []

    with progress("demo data") as bar:

        async def work(ledger: Any) -> dict[str, int] | None:
            if if_empty and (await ledger.get_all_agent_metrics()).total_agents:
                return None
            return await generator.generate(
                ledger,
                size,
                seed,
                on_key=keys.append,
                on_progress=lambda done, total, part: bar.update(done, total, part),
            )

        counts = run(lambda: with_ledger(work, project=project))
    if counts is None:
        console.print("the project already has agents: no demo data added", highlight=False)
        return
    if not counts:
        console.print("demo data already present: nothing added", highlight=False)
        return
    table = Table("kind", "rows", title=f"demo data ({size}, seed {seed})")
    for kind, n in counts.items():
        table.add_row(kind, f"{n:,}")
    console.print(table)
    for secret in keys:
        console.print(
            f"read-only key for the dashboard (shown once): [bold]{secret}[/bold]",
            highlight=False,
            soft_wrap=True,
        )


def register(root: typer.Typer) -> None:
    root.command("demo")(demo_command)
