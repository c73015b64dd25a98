"""Drift statistics from counts per bin: PSI, binned KS with its error bound, chi-squared."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from adapters.monitoring.drift import chi_squared, ks_from_bins, psi
from domain.errors import InvalidArgumentError


def direct_psi(expected: list[int], actual: list[int], epsilon: float) -> float:
    """PSI written out term by term, with the same floor."""
    total_e, total_a = sum(expected), sum(actual)
    value = 0.0
    for e_count, a_count in zip(expected, actual, strict=True):
        e = max(e_count / total_e, epsilon)
        a = max(a_count / total_a, epsilon)
        value += (a - e) * math.log(a / e)
    return value


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_psi_equals_the_direct_computation_with_the_same_floor(seed: int) -> None:
    rng = np.random.default_rng(seed)
    expected = rng.integers(0, 50, 12).tolist()
    actual = rng.integers(0, 500, 12).tolist()
    expected[3], actual[5] = 0, 0

    assert psi(expected, actual, 1e-4) == pytest.approx(direct_psi(expected, actual, 1e-4), 1e-12)


def test_psi_is_zero_for_the_same_shares_and_grows_with_the_shift() -> None:
    base = [10, 20, 30, 40]

    assert psi(base, [x * 7 for x in base], 1e-4) == pytest.approx(0.0, abs=1e-15)
    assert 0 < psi(base, [20, 20, 30, 30], 1e-4) < psi(base, [40, 30, 20, 10], 1e-4)


def test_an_empty_bin_counts_as_the_epsilon_share() -> None:
    # reference all in bin 0, window half in bin 1: (0.5-1)ln(0.5) + (0.5-eps)ln(0.5/eps)
    eps = 1e-3
    expected = (0.5 - 1) * math.log(0.5) + (0.5 - eps) * math.log(0.5 / eps)

    assert psi([10, 0], [5, 5], eps) == pytest.approx(expected)


def binned(reference: np.ndarray, window: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    levels = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(reference, levels, method="inverted_cdf"))
    count = len(edges) + 1
    return (
        np.bincount(np.searchsorted(edges, reference), minlength=count),
        np.bincount(np.searchsorted(edges, window), minlength=count),
    )


@pytest.mark.parametrize(
    ("seed", "shift", "discrete"),
    [(0, 0.0, False), (1, 0.2, False), (2, 0.5, False), (3, 0.3, True), (4, 1.5, False)],
)
def test_binned_ks_is_within_its_bound_of_scipys_exact_statistic(
    seed: int, shift: float, discrete: bool
) -> None:
    rng = np.random.default_rng(seed)
    reference = rng.normal(0, 1, 800)
    window = rng.normal(shift, 1.2, 5000)
    if discrete:
        reference, window = reference.round(0), window.round(0)

    result = ks_from_bins(*binned(reference, window, 100))
    exact = stats.ks_2samp(reference, window, method="asymp")

    assert result.statistic <= exact.statistic + 1e-12
    assert exact.statistic <= result.statistic + result.error_bound + 1e-12
    assert result.error_bound < 0.1 or discrete or shift > 1


def test_binned_ks_p_value_uses_scipys_asymptotic_distribution() -> None:
    rng = np.random.default_rng(11)
    reference, window = rng.normal(0, 1, 400), rng.normal(0.3, 1, 900)
    ref_counts, win_counts = binned(reference, window, 100)

    result = ks_from_bins(ref_counts, win_counts)

    assert result.effective_n == round(400 * 900 / 1300)
    assert result.p_value == pytest.approx(stats.kstwo.sf(result.statistic, result.effective_n))
    assert result.p_value >= stats.ks_2samp(reference, window, method="asymp").pvalue - 1e-12
    assert result.p_value < 0.01


def test_ks_of_identical_distributions_has_p_value_one() -> None:
    result = ks_from_bins([5, 10, 5], [50, 100, 50])

    assert result.statistic == 0.0
    assert result.p_value == 1.0


def test_chi_squared_equals_scipy_on_the_table_without_empty_categories() -> None:
    reference, window = [30, 50, 0, 20], [400, 350, 0, 250]

    result = chi_squared(reference, window)
    expected = stats.chi2_contingency(np.array([[30, 50, 20], [400, 350, 250]]), correction=False)

    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.dof == 2


def test_chi_squared_counts_a_category_unseen_in_training() -> None:
    result = chi_squared([50, 50, 0], [45, 45, 10])

    assert result.dof == 2
    assert result.p_value < 0.01


def test_chi_squared_of_a_single_category_is_no_evidence() -> None:
    assert chi_squared([10, 0], [30, 0]).p_value == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: psi([1, 2], [1, 2, 3], 1e-4), "same bins"),
        (lambda: psi([0, 0], [1, 2], 1e-4), "no rows"),
        (lambda: psi([1, 2], [1, 2], 0.0), "epsilon"),
        (lambda: ks_from_bins([1, -2], [1, 2]), "negative"),
        (lambda: chi_squared([], []), "same bins"),
    ],
)
def test_counts_that_cannot_be_compared_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        call()  # type: ignore[operator]
