"""The CLI's shared helpers: one date/time parser, listings that keep identifiers whole, and
progress as plain lines when stdout is not a terminal."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from rich.console import Console
from rich.table import Table

from evalledger.cli.listing import id_column, print_table
from evalledger.cli.options import bound, parse_when
from evalledger.cli.progress import PlainProgress, progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", date(2026, 11, 1)),
        ("2026-11-01T09:30", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        ("2026-11-01 09:30:15", datetime(2026, 11, 1, 9, 30, 15, tzinfo=UTC)),
        ("2026-11-01T09:30Z", datetime(2026, 11, 1, 9, 30, tzinfo=UTC)),
        (
            "2026-11-01T09:30+02:00",
            datetime(2026, 11, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))),
        ),
        # What older versions told the user to type: midnight at that offset.
        ("2026-11-01+00:00", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01Z", datetime(2026, 11, 1, tzinfo=UTC)),
    ],
)
def test_parse_when_accepts_dates_naive_times_and_offsets(text: str, expected: object) -> None:
    assert parse_when(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "2026-11-01+00:00+00:00", ""])
def test_parse_when_refuses_with_one_line(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_when(text)
    assert "\n" not in str(caught.value)


def test_bound_of_a_date_covers_the_whole_day() -> None:
    day = date(2026, 11, 1)
    assert bound(day, end=False) == datetime(2026, 11, 1, tzinfo=UTC)
    assert bound(day, end=True) == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=UTC)
    stamp = datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert bound(stamp, end=True) == stamp


def _render(table: Table, width: int = 80) -> str:
    out = io.StringIO()
    print_table(table, Console(file=out, width=width))
    return out.getvalue()


def test_an_identifier_longer_than_the_terminal_is_printed_whole_on_one_line() -> None:
    name = "agent-" + "x" * 100 + "-end"
    table = Table(id_column("agent"), "level", "notes")
    table.add_row(name, "3", "some words that may wrap between them")
    rendered = _render(table)
    assert any(name in line for line in rendered.splitlines()), rendered
    assert "…" not in rendered


def test_a_table_that_fits_keeps_the_terminal_width() -> None:
    table = Table(id_column("agent"), "level")
    table.add_row("guardian", "3")
    assert max(len(line) for line in _render(table).splitlines()) <= 80


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_prints_lines_at_an_interval_and_the_last_state() -> None:
    out = io.StringIO()
    clock = _Clock()
    reporter = PlainProgress(Console(file=out, width=80), "imported", interval=10, clock=clock)
    for done in range(0, 2194, 100):
        reporter.update(done, 2194)
        clock.now += 3  # an update every 3 s: a line at most every 10 s
    reporter.update(2194, 2194)
    reporter.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == "Progress: 0/2194 (imported)"
    assert lines[-1] == "Progress: 2194/2194 (imported)"
    assert 5 <= len(lines) <= 9  # 22 updates over 66 s: one line per 10 s, plus the last
    assert lines[1] == "Progress: 400/2194 (imported)"


def test_plain_progress_without_a_total_and_with_a_new_label() -> None:
    out = io.StringIO()
    reporter = PlainProgress(Console(file=out), "exported", interval=0)
    reporter.update(500)
    reporter.update(3, 10, "custody results")
    reporter.close()
    assert out.getvalue().splitlines() == [
        "Progress: 500 (exported)",
        "Progress: 3/10 (custody results)",
    ]


def test_progress_is_plain_text_when_not_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False)
    with progress("imported", console=console) as reporter:
        reporter.update(8, 8)
    assert out.getvalue() == "Progress: 8/8 (imported)\n"


def test_progress_is_a_bar_on_a_terminal_and_leaves_no_plain_lines() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=80)
    with progress("imported", console=console) as reporter:
        reporter.update(5, 10)
        reporter.update(10, 10, "imported")
    assert "Progress: " not in out.getvalue()
    assert "\x1b[" in out.getvalue()  # drawn with terminal control sequences
