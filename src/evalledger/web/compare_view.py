"""The compare page's view model: how ``/runs/compare`` reads its parameters, orders the
samples (regressed first) and pages them. Pure functions, unit-tested without a server.

Every figure on the page is ``compare_runs``' answer itself (the one ``evalledger runs compare
--json`` prints for the same runs and parameters). The comparison lists the regressed and the
missing samples but not the improved and unchanged ones, so the samples table also needs each
run's values of one scorer; :func:`sample_rows` takes them, pairs them with
:func:`evalledger.stats.align.align_values` (the pairing the comparison uses) and keeps the
comparison's own order for the regressed (largest drop first) and missing samples.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from evalledger.stats.align import SampleKey, align_values
from evalledger.stats.compare import Comparison, ScorerComparison
from evalledger.stats.gate import GateResult, ScorerVerdict
from evalledger.web.runs_view import DEFAULT_LIMIT, read_limit

Outcome = Literal["regressed", "improved", "unchanged", "missing"]
#: The samples table's order: what a reviewer of a candidate must see first comes first.
OUTCOMES: tuple[Outcome, ...] = ("regressed", "improved", "unchanged", "missing")
DEFAULT_ALPHA = 0.05
TRUE = {"true", "1", "yes", "on"}
MAX_PAGE = 1_000_000
#: The largest ``min_effect`` ``compare_runs`` accepts.
MAX_EFFECT = 1e15


@dataclass
class CompareView:
    """What ``/runs/compare`` was asked for. ``scorer``, ``alpha``, ``min_effect`` and
    ``allow_dataset_change`` are ``compare_runs``' (the CLI's ``--scorer``, ``--alpha``,
    ``--min-effect``, ``--allow-dataset-change``); ``by`` is the scorer the samples table is
    ordered by, ``show`` one outcome only, ``page`` (from 1) and ``limit`` the table's page."""

    scorer: str | None = None
    alpha: float = DEFAULT_ALPHA
    min_effect: float = 0.0
    allow_dataset_change: bool = False
    by: str | None = None
    show: Outcome | None = None
    limit: int = DEFAULT_LIMIT
    page: int = 1
    notices: list[str] = field(default_factory=list)


def _number(raw: str, name: str, default: float, ok: str, notices: list[str]) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value):
        return value
    notices.append(f"{name}: expected {ok}; {raw[:40]!r} left out, using {default:g}")
    return None


def read_compare_view(params: Mapping[str, str | None]) -> CompareView:
    """The compare parameters, read leniently: a value ``compare_runs`` would refuse is left
    out with a notice (and the default used), never an error page."""
    view = CompareView()
    given = {k: (v or "").strip() for k, v in params.items()}
    if scorer := given.get("scorer"):
        view.scorer = scorer[:255]
    if by := given.get("by"):
        view.by = by[:255]
    if raw := given.get("alpha"):
        alpha = _number(raw, "alpha", DEFAULT_ALPHA, "a number between 0 and 1", view.notices)
        if alpha is not None and not 0 < alpha < 1:
            view.notices.append(f"alpha: expected between 0 and 1; {raw[:40]!r} left out")
        elif alpha is not None:
            view.alpha = alpha
    if raw := given.get("min_effect"):
        effect = _number(raw, "min_effect", 0.0, "a number of at least 0", view.notices)
        if effect is not None and not 0 <= effect <= MAX_EFFECT:
            view.notices.append(f"min_effect: expected 0 to {MAX_EFFECT:g}; {raw[:40]!r} left out")
        elif effect is not None:
            view.min_effect = effect
    view.allow_dataset_change = given.get("allow_dataset_change", "").lower() in TRUE
    if show := given.get("show"):
        if show in OUTCOMES:
            view.show = show
        else:
            view.notices.append(
                f"show: expected one of {', '.join(OUTCOMES)}; {show[:40]!r} left out"
            )
    view.limit = read_limit(given.get("limit"), view.notices)
    if raw := given.get("page"):
        if raw.isdigit() and 1 <= int(raw) <= MAX_PAGE:
            view.page = int(raw)
        else:
            view.notices.append(f"page: expected a page number; {raw[:40]!r} left out")
    return view


def table_scorer(comparison: Comparison, view: CompareView) -> ScorerComparison | None:
    """The scorer the samples table is ordered by: ``by`` when compared (a notice otherwise),
    else the first compared one; ``None`` when no scorer was compared."""
    names = [s.scorer for s in comparison.scorers]
    if view.by is not None and view.by in names:
        return comparison.scorer(view.by)
    if view.by is not None:
        view.notices.append(f"by: {view.by[:40]!r} was not compared; known: {', '.join(names)}")
    return comparison.scorers[0] if comparison.scorers else None


@dataclass(frozen=True)
class ScorerFigures:
    """One compared scorer with the gate's verdict on it (``None``: not gated)."""

    entry: ScorerComparison
    verdict: ScorerVerdict | None


def scorer_figures(comparison: Comparison, gate: GateResult) -> list[ScorerFigures]:
    verdicts = {v.scorer: v for v in gate.scorers}
    return [ScorerFigures(e, verdicts.get(e.scorer)) for e in comparison.scorers]


def gate_note(gate: GateResult) -> str:
    """How the verdict was reached, in the CLI's words (Holm across the gated scorers)."""
    n = len(gate.scorers)
    across = "one scorer: the plain paired test" if n == 1 else f"{n} scorers"
    return (
        f"Holm-corrected across {across}; alpha {gate.alpha:g}, "
        f"a regression must exceed {gate.min_effect:g}"
    )


@dataclass(frozen=True)
class SampleRow:
    """One (sample id, epoch) of the samples table: both runs' values of the table's scorer
    (``None`` where the run has none)."""

    sample_id: str
    epoch: int
    outcome: Outcome
    base: float | None
    candidate: float | None

    @property
    def key(self) -> SampleKey:
        return (self.sample_id, self.epoch)

    @property
    def difference(self) -> float | None:
        if self.base is None or self.candidate is None:
            return None
        return self.candidate - self.base


def sample_rows(
    entry: ScorerComparison,
    base_values: Mapping[SampleKey, float],
    candidate_values: Mapping[SampleKey, float],
) -> list[SampleRow]:
    """Every sample of ``entry``'s scorer: regressed (largest drop first, the comparison's
    order), improved (largest gain first), unchanged, then missing (in one run only)."""
    alignment = align_values(entry.scorer, base_values, candidate_values)
    regressed = [
        SampleRow(c.sample_id, c.epoch, "regressed", c.base, c.candidate)
        for c in entry.regressed_samples
    ]
    gained = sorted(
        (p for p in alignment.pairs if p.candidate > p.base),
        key=lambda p: (-p.difference, p.sample_id, p.epoch),
    )
    improved = [SampleRow(p.sample_id, p.epoch, "improved", p.base, p.candidate) for p in gained]
    unchanged = [
        SampleRow(p.sample_id, p.epoch, "unchanged", p.base, p.candidate)
        for p in alignment.pairs
        if p.candidate == p.base
    ]
    missing = [
        SampleRow(
            m.sample_id,
            m.epoch,
            "missing",
            base_values.get((m.sample_id, m.epoch)),
            candidate_values.get((m.sample_id, m.epoch)),
        )
        for m in entry.missing
    ]
    return [*regressed, *improved, *unchanged, *missing]


def outcome_counts(rows: Sequence[SampleRow]) -> dict[Outcome, int]:
    return {o: sum(1 for r in rows if r.outcome == o) for o in OUTCOMES}


def disagreement(entry: ScorerComparison, rows: Sequence[SampleRow]) -> str | None:
    """A notice when the table's rows do not add up to the comparison's counts (the values
    were read after the comparison, and a run changed in between); ``None`` when they do."""
    counts = entry.counts
    expected = {
        "regressed": counts.regressed,
        "improved": counts.improved,
        "unchanged": counts.unchanged,
        "missing": counts.missing,
    }
    found = outcome_counts(rows)
    if found == expected:
        return None
    return f"the samples table of {entry.scorer} does not match the comparison's counts; reload"


@dataclass(frozen=True)
class RowsPage:
    """One page of the samples table: its rows, which page of how many, and the total."""

    rows: list[SampleRow]
    page: int
    pages: int
    total: int
    first: int

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def page_of(rows: Sequence[SampleRow], view: CompareView) -> RowsPage:
    """The rows of ``view.show`` (all when unset), page ``view.page`` of ``view.limit``; a
    page past the end is the last page, with a notice."""
    chosen = [r for r in rows if view.show is None or r.outcome == view.show]
    pages = max(1, math.ceil(len(chosen) / view.limit))
    page = view.page
    if page > pages:
        view.notices.append(f"page: there are {pages} pages; showing the last")
        page = pages
    start = (page - 1) * view.limit
    return RowsPage(chosen[start : start + view.limit], page, pages, len(chosen), start + 1)


def cli_command(base: str, candidate: str, view: CompareView) -> str:
    """The ``evalledger runs compare`` command whose ``--json`` has this page's figures."""
    parts = ["evalledger runs compare", shlex.quote(base), shlex.quote(candidate)]
    if view.scorer:
        parts.append(f"--scorer {shlex.quote(view.scorer)}")
    if view.alpha != DEFAULT_ALPHA:
        parts.append(f"--alpha {view.alpha:g}")
    if view.min_effect:
        parts.append(f"--min-effect {view.min_effect:g}")
    if view.allow_dataset_change:
        parts.append("--allow-dataset-change")
    return " ".join([*parts, "--json"])
