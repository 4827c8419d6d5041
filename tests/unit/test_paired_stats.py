"""McNemar, Wilcoxon and Holm against scipy (tests only) and published worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from evalledger.stats.multiple import holm_adjust
from evalledger.stats.paired import (
    MCNEMAR_EXACT_INTEGER_LIMIT,
    mcnemar_exact,
    wilcoxon_signed_rank,
)

TOLERANCE = {"rel": 1e-9, "abs": 1e-15}


def test_mcnemar_matches_fagerland_worked_example() -> None:
    # Fagerland, Lydersen & Laake (2013), BMC Med Res Methodol 13:91, Table 1 (Bentur et al.,
    # airway hyper-responsiveness before/after stem cell transplantation): discordant pairs
    # 1 and 7; exact conditional p = 2 * binomcdf(1, 8, 0.5) = 18/256 = 0.070.
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256, rel=1e-12)
    assert round(mcnemar_exact(7, 1), 3) == 0.070


def test_mcnemar_without_discordant_pairs_or_with_a_balance_is_one() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    with pytest.raises(ValueError, match="discordant"):
        mcnemar_exact(-1, 2)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_mcnemar_equals_scipy_binomtest_on_the_discordant_pairs(b: int, c: int) -> None:
    expected = 1.0 if b + c == 0 else scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, **TOLERANCE)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


@pytest.mark.parametrize(
    ("b", "c"),
    [(5_101, 4_900), (5_300, 5_000), (9_000, 11_500), (30_000, 30_900), (40, 12_000)],
)
def test_mcnemar_above_the_integer_limit_still_equals_scipy(b: int, c: int) -> None:
    assert b + c > MCNEMAR_EXACT_INTEGER_LIMIT
    expected = scipy_stats.binomtest(b, b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_wilcoxon_smallest_exact_p_for_five_positive_differences() -> None:
    # All 5 differences positive: W+ = 15 is the one most extreme of 2**5 sign patterns,
    # two-sided p = 2/32 = 0.0625 (the textbook reason n = 5 can never reach p < 0.05).
    result = wilcoxon_signed_rank([0.1, 0.2, 0.3, 0.4, 0.5])
    assert result.method == "exact"
    assert result.p_value == pytest.approx(0.0625, rel=1e-12)
    assert result.statistic == 0


def test_wilcoxon_of_no_change_is_p_one() -> None:
    result = wilcoxon_signed_rank([0.0, 0.0, 0.0])
    assert (result.p_value, result.n_nonzero) == (1.0, 0)
    assert wilcoxon_signed_rank([]).p_value == 1.0


distinct_differences = st.lists(
    st.floats(-1, 1, allow_nan=False).filter(lambda x: abs(x) > 1e-6),
    min_size=1,
    max_size=50,
    unique_by=abs,
)


@settings(max_examples=150, deadline=None)
@given(distinct_differences)
def test_wilcoxon_exact_equals_scipy_exact(differences: list[float]) -> None:
    result = wilcoxon_signed_rank(differences)
    expected = scipy_stats.wilcoxon(differences, method="exact")
    assert result.method == "exact"
    assert result.p_value == pytest.approx(expected.pvalue, **TOLERANCE)
    assert result.statistic == pytest.approx(expected.statistic, **TOLERANCE)


lumpy_differences = st.lists(
    st.sampled_from([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0]), min_size=2, max_size=200
).filter(lambda d: any(d))


@settings(max_examples=150, deadline=None)
@given(lumpy_differences)
def test_wilcoxon_with_ties_or_zeros_equals_scipy_normal_approximation(
    differences: list[float],
) -> None:
    result = wilcoxon_signed_rank(differences)
    nonzero = [d for d in differences if d != 0]
    tied = len({abs(d) for d in nonzero}) < len(nonzero)
    if not tied and len(nonzero) <= 50:
        assert result.method == "exact"
        return
    expected = scipy_stats.wilcoxon(
        differences, zero_method="wilcox", correction=True, method="asymptotic"
    )
    assert result.method == "normal"
    assert result.p_value == pytest.approx(expected.pvalue, **TOLERANCE)
    assert result.statistic == pytest.approx(expected.statistic, **TOLERANCE)


def test_wilcoxon_normal_above_fifty_values_without_ties_equals_scipy() -> None:
    differences = [((i * 37) % 101 - 50) / 100 + 1e-4 * i for i in range(80)]
    result = wilcoxon_signed_rank(differences)
    expected = scipy_stats.wilcoxon(differences, correction=True, method="asymptotic")
    assert result.method == "normal"
    assert result.p_value == pytest.approx(expected.pvalue, **TOLERANCE)


def test_holm_matches_a_hand_worked_example() -> None:
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04; made
    # non-decreasing: 0.02, 0.03, 0.06, 0.06 (back in input order below).
    adjusted = holm_adjust([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm_adjust([]) == []
    assert holm_adjust([0.6, 0.7]) == [1.0, 1.0]
    with pytest.raises(ValueError, match="p-values"):
        holm_adjust([1.5])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), max_size=12), st.floats(0.001, 0.2))
def test_holm_never_rejects_more_than_the_unadjusted_tests(
    p_values: list[float], alpha: float
) -> None:
    adjusted = holm_adjust(p_values)
    assert all(a >= p for a, p in zip(adjusted, p_values, strict=True))
    assert all(a <= 1.0 for a in adjusted)
    rejected = {i for i, a in enumerate(adjusted) if a <= alpha}
    assert rejected <= {i for i, p in enumerate(p_values) if p <= alpha}
    # Holm rejects at least what Bonferroni rejects.
    m = len(p_values)
    assert {i for i, p in enumerate(p_values) if p * m <= alpha} <= rejected
