"""Drift of a window from the reference, from counts per reference bin.

PSI (population stability index) on the same bins for both sides; the two-sample
Kolmogorov-Smirnov statistic on the reference's fine quantile grid, with the bound of its
binning error; Pearson's chi-squared test of homogeneity for categories. Every method and
threshold is an argument: nothing here depends on a library default that changes with the
sample size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from domain.errors import InvalidArgumentError

__all__ = ["BinnedKs", "ChiSquared", "chi_squared", "ks_from_bins", "psi"]

Counts = Sequence[int] | np.ndarray[Any, Any]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def psi(expected_counts: Counts, actual_counts: Counts, epsilon: float) -> float:
    """PSI = sum over bins of ``(a - e) * ln(a / e)``, ``e`` and ``a`` the shares of the
    reference's and the window's rows in each bin.

    A share below ``epsilon`` (a bin empty on one side) is raised to ``epsilon`` (a floor,
    without renormalising the others), so PSI stays finite; an empty bin on both sides adds 0.
    ``InvalidArgumentError`` for bins that differ in number, negative counts, no rows on a
    side, or ``epsilon`` outside (0, 1).
    """
    if not 0 < epsilon < 1:
        raise InvalidArgumentError(f"psi epsilon must be in (0, 1), not {epsilon}")
    expected, actual = _shares(expected_counts, actual_counts)
    e = np.maximum(expected, epsilon)
    a = np.maximum(actual, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True, slots=True)
class BinnedKs:
    """The KS statistic measured on the bin edges, with ``error_bound`` such that the exact
    two-sample statistic D satisfies ``statistic <= D <= statistic + error_bound``, and the
    asymptotic ``p_value`` of ``statistic`` with ``effective_n`` rows."""

    statistic: float
    error_bound: float
    p_value: float
    effective_n: int


def ks_from_bins(ref_counts: Counts, win_counts: Counts) -> BinnedKs:
    """The two-sample KS test from counts per bin ``(e[i-1], e[i]]`` of the same edges.

    The cumulative shares at each edge are the two empirical CDFs there exactly, so
    ``statistic`` = max over edges of ``|F_ref(e) - F_win(e)|`` <= D, the sup over all x.
    For x between adjacent edges ``e[k-1] <= x < e[k]`` (or beyond the outer edges), each CDF
    rises from its value at ``e[k-1]`` by at most its share in bin k, so
    ``|F_ref(x) - F_win(x)| <= |F_ref(e[k-1]) - F_win(e[k-1])| + max(r_k, w_k)``, hence
    ``D <= statistic + max_k max(r_k, w_k)`` = ``statistic + error_bound``; the error bound
    is therefore at most the largest reference bin share plus the largest window bin share.

    The p-value is ``scipy.stats.kstwo.sf(statistic, round(n*m/(n+m)))``, the distribution
    ``scipy.stats.ks_2samp(method="asymp")`` uses, with ``n``, ``m`` the two row counts: as
    ``statistic`` <= D, it is at least the p-value of the exact statistic (a binned test never
    flags drift the exact one would not).
    """
    reference, window = _shares(ref_counts, win_counts)
    gaps = np.abs(np.cumsum(reference) - np.cumsum(window))
    statistic = float(gaps[:-1].max()) if len(gaps) > 1 else 0.0
    n, m = int(np.sum(ref_counts)), int(np.sum(win_counts))
    effective_n = max(1, round(n * m / (n + m)))
    return BinnedKs(
        statistic=statistic,
        error_bound=float(np.maximum(reference, window).max()),
        p_value=_probability(stats.kstwo.sf(statistic, effective_n)),
        effective_n=effective_n,
    )


@dataclass(frozen=True, slots=True)
class ChiSquared:
    """Pearson's chi-squared statistic, its degrees of freedom and p-value."""

    statistic: float
    dof: int
    p_value: float


def chi_squared(ref_counts: Counts, win_counts: Counts) -> ChiSquared:
    """Pearson's chi-squared test that the reference's and the window's rows come from the same
    categorical distribution (the 2 x k table of counts, without Yates' correction).

    Categories empty on both sides are left out (they carry no evidence and would make the
    expected count 0); with fewer than two categories left the answer is statistic 0, p 1.
    """
    reference, window = _checked(ref_counts, win_counts)
    seen = (reference + window) > 0
    table = np.vstack([reference[seen], window[seen]])
    if table.shape[1] < 2:
        return ChiSquared(statistic=0.0, dof=0, p_value=1.0)
    statistic, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return ChiSquared(statistic=float(statistic), dof=int(dof), p_value=_probability(p_value))


def _checked(expected_counts: Counts, actual_counts: Counts) -> tuple[FloatArray, FloatArray]:
    expected = np.asarray(expected_counts, dtype=np.float64)
    actual = np.asarray(actual_counts, dtype=np.float64)
    if expected.ndim != 1 or expected.shape != actual.shape or expected.size == 0:
        raise InvalidArgumentError(
            f"counts must be per bin, the same bins on both sides: {expected.size} reference "
            f"bins, {actual.size} window bins"
        )
    if (expected < 0).any() or (actual < 0).any():
        raise InvalidArgumentError("counts per bin must not be negative")
    if expected.sum() == 0 or actual.sum() == 0:
        raise InvalidArgumentError("drift needs rows on both sides: a side has no rows")
    return expected, actual


def _shares(expected_counts: Counts, actual_counts: Counts) -> tuple[FloatArray, FloatArray]:
    expected, actual = _checked(expected_counts, actual_counts)
    return expected / expected.sum(), actual / actual.sum()


def _probability(value: Any) -> float:
    number = float(value)
    return min(1.0, max(0.0, number)) if math.isfinite(number) else 1.0
