"""Terminal output of ``evalledger runs compare`` and ``runs leaderboard`` (Rich tables).

Imported by the commands when they run, never at CLI start-up.
"""

from __future__ import annotations

from rich.table import Column, Table

from evalledger.cli.common import console
from evalledger.cli.listing import id_column, print_table
from evalledger.runs.compare_schemas import RunComparison, RunLeaderboard, RunRef
from evalledger.stats.clustered import MeanEstimate
from evalledger.stats.compare import ScorerComparison

#: Regressed samples listed per scorer on a terminal (``--json`` has every one).
SHOWN_REGRESSIONS = 20


def _num(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def _ci(low: float | None, high: float | None, sign: bool = False) -> str:
    return "" if low is None or high is None else f"[{_num(low, sign)}, {_num(high, sign)}]"


def _mean(m: MeanEstimate) -> str:
    return f"{_num(m.mean)} {_ci(m.low, m.high)}".strip()


def _p(value: float) -> str:
    return f"{value:.2g}"


def _rating(rating: float, low: float | None, high: float | None) -> str:
    bounds = "" if low is None or high is None else f" [{low:.0f}, {high:.0f}]"
    return f"{rating:.0f}{bounds}"


def _run_line(label: str, ref: RunRef) -> str:
    return f"{label}: {ref.id}  {ref.task}  {ref.model or '-'}  dataset {ref.dataset_hash or '?'}"


def _regressions(entry: ScorerComparison) -> None:
    if not entry.regressed_samples:
        return
    table = Table(
        id_column("sample"),
        "epoch",
        "base",
        "candidate",
        "change",
        title=f"{entry.scorer}: regressed samples (largest drop first)",
    )
    for change in entry.regressed_samples[:SHOWN_REGRESSIONS]:
        table.add_row(
            change.sample_id,
            str(change.epoch),
            f"{change.base:g}",
            f"{change.candidate:g}",
            f"{change.difference:+g}",
        )
    print_table(table)
    more = len(entry.regressed_samples) - SHOWN_REGRESSIONS
    if more > 0:
        console.print(f"... and {more} more regressed samples (--json lists every one)")


def print_comparison(result: RunComparison) -> None:
    """Both runs, one row per scorer, the regressed samples, and the gate's verdict."""
    comparison, verdict = result.comparison, result.gate
    console.print(_run_line("base     ", result.base), highlight=False)
    console.print(_run_line("candidate", result.candidate), highlight=False)
    if comparison.dataset_changed:
        console.print(
            f"[bold red]DATASET CHANGED[/bold red]: base {comparison.base_dataset_hash} vs "
            f"candidate {comparison.candidate_dataset_hash}: the runs answered different "
            "questions; the figures below compare only the samples both have"
        )
    adjusted = {v.scorer: v for v in verdict.scorers}
    means = Table(
        id_column("scorer"), "paired", "base [95% CI]", "candidate [95% CI]", "difference [95% CI]"
    )
    tests = Table(id_column("scorer"), "test", "p", "p (Holm)", "verdict")
    counts = Table(id_column("scorer"), "improved", "regressed", "unchanged", "missing")
    for entry in comparison.scorers:
        d, v, c = entry.difference, adjusted[entry.scorer], entry.counts
        paired = str(entry.n_pairs)
        if entry.max_epochs > 1:
            paired += f" ({entry.n_samples} samples)"
        means.add_row(
            entry.scorer,
            paired,
            _mean(entry.base),
            _mean(entry.candidate),
            f"{_num(d.estimate, True)} {_ci(d.low, d.high, True)}".strip(),
        )
        tests.add_row(
            entry.scorer, entry.test.name, _p(entry.test.p_value), _p(v.adjusted_p_value), v.verdict
        )
        counts.add_row(
            entry.scorer, str(c.improved), str(c.regressed), str(c.unchanged), str(c.missing)
        )
    print_table(means)
    print_table(tests)
    print_table(counts)
    for entry in comparison.scorers:
        if entry.missing:
            absent = {"base": 0, "candidate": 0}
            for m in entry.missing:
                absent[m.absent_from] += 1
            console.print(
                f"{entry.scorer}: {entry.counts.missing} samples in one run only (absent from "
                f"base {absent['base']}, from candidate {absent['candidate']}); they are left "
                "out of the means and tests, never counted as passes"
            )
        _regressions(entry)
    rule = (
        f"Holm correction across {len(verdict.scorers)} scorer(s), alpha {verdict.alpha:g}, "
        f"min effect {verdict.min_effect:g}"
    )
    if verdict.refused:
        console.print(f"gate: [bold red]REFUSED[/bold red]: {verdict.reason}")
    elif verdict.passed:
        console.print(f"gate: [green]passed[/green], no significant regression ({rule})")
    else:
        console.print(
            f"gate: [bold red]FAILED[/bold red], regressed: {', '.join(verdict.regressed)} ({rule})"
        )


def print_leaderboard(result: RunLeaderboard) -> None:
    """The ranked models with intervals, and every pair the paired test orders."""
    board = result.leaderboard
    run_of = {ref.model: ref for ref in result.runs}
    ratings = {r.model: r for r in result.ratings}
    columns: list[Column | str] = [
        id_column("rank"),
        id_column("model"),
        "mean [95% CI]",
        "n",
        "better than",
    ]
    if ratings:
        columns.append("Bradley-Terry")
    table = Table(*columns, title=f"{result.task}: {board.scorer} ({board.kind})")
    for row in board.rows:
        cells = [
            str(row.rank),
            row.model,
            _mean(row.mean),
            str(row.mean.n_samples),
            ", ".join(row.better_than) or "-",
        ]
        if ratings:
            r = ratings.get(row.model)
            cells.append("" if r is None else _rating(r.rating, r.low, r.high))
        table.add_row(*cells)
    print_table(table)
    runs = Table(id_column("model"), id_column("run"), "recorded")
    for row in board.rows:
        ref = run_of[row.model]
        runs.add_row(row.model, str(ref.id), ref.created_at.isoformat(timespec="seconds"))
    print_table(runs)
    console.print(
        f"'better than' only where the paired test rejects at alpha {board.alpha:g} after the "
        f"Holm correction across {len(board.pairs)} pair(s)"
        + (
            "; [bold red]the runs' dataset hashes differ[/bold red]"
            if board.dataset_changed
            else ""
        )
    )
