"""Progress of a long command: a Rich bar on a terminal, plain lines everywhere else.

A bar drawn with cursor movements means nothing in a cron job's log (and Rich draws nothing
at all when stdout is not a terminal), so there the same updates become lines such as
``Progress: 200/2194 (imported)``, at most one per ``interval`` seconds plus the last one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from evalledger.cli.common import console as default_console

if TYPE_CHECKING:
    from rich.progress import Progress

#: Seconds between two plain progress lines.
DEFAULT_INTERVAL = 10.0


class PlainProgress:
    """Progress as lines of text, rate-limited by a clock (injectable for tests)."""

    def __init__(
        self,
        console: Console,
        label: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._label = label
        self._interval = interval
        self._clock = clock
        self._last_at: float | None = None
        self._last_line: str | None = None
        self._pending: str | None = None

    def update(self, done: int, total: int | None = None, label: str | None = None) -> None:
        if label is not None:
            self._label = label
        of = f"/{total}" if total is not None else ""
        self._pending = f"Progress: {done}{of} ({self._label})"
        now = self._clock()
        if self._last_at is None or now - self._last_at >= self._interval:
            self._emit()
            self._last_at = now

    def close(self) -> None:
        """The last state, unless it is already the last line printed."""
        self._emit()

    def _emit(self) -> None:
        line = self._pending
        if line is None or line == self._last_line:
            return
        self._console.print(line, markup=False, highlight=False, soft_wrap=True)
        self._last_line = line


class BarProgress:
    """A transient Rich bar (it disappears when the command prints its summary)."""

    def __init__(self, console: Console, label: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar: Progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task(label, total=None)
        self._bar.start()

    def update(self, done: int, total: int | None = None, label: str | None = None) -> None:
        if label is not None:
            self._bar.update(self._task, description=label)
        self._bar.update(self._task, completed=done, total=total)

    def close(self) -> None:
        self._bar.stop()


@contextmanager
def progress(
    label: str, *, console: Console | None = None, interval: float = DEFAULT_INTERVAL
) -> Iterator[PlainProgress | BarProgress]:
    """``with progress("imported") as p: ... p.update(done, total)``; bar or lines by terminal."""
    out = console or default_console
    reporter: PlainProgress | BarProgress = (
        BarProgress(out, label) if out.is_terminal else PlainProgress(out, label, interval=interval)
    )
    try:
        yield reporter
    finally:
        reporter.close()
