"""What the monitoring benchmark checks its window's metrics against, computed from raw rows.

PSI directly with numpy from the training split and the window's values on the reference's bins,
approval rate and expected cost directly from decisions and labels, and fairness with fairlearn's
own functions. Each check raises ``AssertionError`` naming the metric that differs by more than
``TOLERANCE`` (floating-point summation order is the only difference allowed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from adapters.monitoring.reference import ReferenceStatistics

TOLERANCE = 1e-12
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


def check_psi(
    reference: ReferenceStatistics,
    train: pd.DataFrame,
    window: pd.DataFrame,
    metrics: Mapping[str, float],
    *,
    epsilon: float,
) -> int:
    """Every feature's ``psi.<feature>`` equals PSI computed from the rows; how many."""
    checked = 0
    for feature in reference.features:
        if feature in reference.numeric:
            edges = np.asarray(reference.numeric[feature].psi_edges, dtype=np.float64)
            expected = _bin_counts(edges, train[feature].to_numpy(np.float64))
            actual = _bin_counts(edges, window[feature].to_numpy(np.float64))
        else:
            categories = reference.categorical[feature].categories
            expected = _category_counts(categories, train[feature])
            actual = _category_counts(categories, window[feature])
        _check_equal(f"psi.{feature}", metrics, _psi(expected, actual, epsilon), "directly")
        checked += 1
    return checked


def check_kpis(
    decisions: IntArray,
    good: np.ndarray[Any, np.dtype[np.bool_]],
    metrics: Mapping[str, float],
    costs: Mapping[str, float],
) -> None:
    """``approval_rate`` and ``expected_cost`` (German credit's cost matrix) equal direct ones."""
    approved = decisions == 1
    bad_accepted, good_refused = np.sum(approved & ~good), np.sum(~approved & good)
    cost = costs["bad_accepted"] * bad_accepted + costs["good_refused"] * good_refused
    _check_equal("approval_rate", metrics, float(approved.mean()), "directly")
    _check_equal("expected_cost", metrics, float(cost / len(approved)), "directly")


def check_fairness(
    metrics: Mapping[str, float],
    y_true: IntArray,
    y_pred: IntArray,
    groups: Mapping[str, np.ndarray[Any, Any]],
) -> None:
    """Per attribute, demographic parity difference and ratio (our ``disparate_impact``) and
    equalized odds difference equal fairlearn's functions on the same rows."""
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
    )

    functions = {
        "demographic_parity_difference": demographic_parity_difference,
        "disparate_impact": demographic_parity_ratio,
        "equalized_odds_difference": equalized_odds_difference,
    }
    for attribute, values in groups.items():
        for name, function in functions.items():
            theirs = float(function(y_true, y_pred, sensitive_features=values))
            _check_equal(f"{name}.{attribute}", metrics, theirs, "by fairlearn")


def _check_equal(name: str, metrics: Mapping[str, float], expected: float, how: str) -> None:
    if name not in metrics:
        raise AssertionError(f"the window's metrics have no {name}")
    if not abs(metrics[name] - expected) <= TOLERANCE:
        raise AssertionError(f"{name} is {metrics[name]!r}; {how}: {expected!r}")


def _bin_counts(edges: FloatArray, values: FloatArray) -> IntArray:
    """Counts per bin ``(edges[i-1], edges[i]]``, one more bin than edges."""
    return np.bincount(np.searchsorted(edges, values, side="left"), minlength=len(edges) + 1)


def _category_counts(categories: Sequence[str], values: pd.Series[Any]) -> IntArray:
    """Counts per category, then of every other value."""
    counts = values.astype(str).value_counts()
    known = [int(counts.get(category, 0)) for category in categories]
    return np.asarray([*known, len(values) - sum(known)], dtype=np.int64)


def _psi(expected: IntArray, actual: IntArray, epsilon: float) -> float:
    """sum((a - e) * ln(a / e)) over the bins' shares, each share floored at ``epsilon``."""
    e = np.maximum(expected / expected.sum(), epsilon)
    a = np.maximum(actual / actual.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))
