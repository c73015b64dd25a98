"""``SummaryDriftDetector``: the ``DriftDetector`` port over rows, by the same bins as the log.

The reference rows become reference statistics on the fly and the window is counted in their
bins, so a feature's numbers are those ``window_metrics`` gives from summaries. A feature whose
reference values are all numbers is numeric: PSI on its deciles and the binned KS test's
p-value. Otherwise it is categorical: PSI on its categories (plus "other") and, in the
``ks_p_value`` field, the chi-squared test's p-value, categorical data having no KS test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from adapters.monitoring.drift import chi_squared, ks_from_bins, psi
from adapters.monitoring.reference import categorical_reference, numeric_reference
from domain.errors import InvalidArgumentError
from domain.ports.protocols import FeatureDrift

__all__ = ["SummaryDriftDetector"]

Rows = Sequence[Mapping[str, object]]


@dataclass(frozen=True, slots=True)
class SummaryDriftDetector:
    """Drift per feature of the reference rows (PSI with empty shares floored at
    ``psi_epsilon``)."""

    psi_epsilon: float = 1e-4

    def drift(self, reference: Rows, window: Rows) -> Mapping[str, FeatureDrift]:
        """PSI and a p-value per feature of the reference rows; ``InvalidArgumentError`` for
        no rows on a side, or a window row missing a feature (naming both)."""
        if not reference or not window:
            raise InvalidArgumentError("drift needs reference rows and window rows")
        features = sorted({name for row in reference for name in row})
        drifts = {}
        for feature in features:
            ref_values = _column(reference, feature, "reference")
            win_values = _column(window, feature, "window")
            if all(_is_number(v) for v in ref_values):
                drifts[feature] = self._numeric(feature, ref_values, win_values)
            else:
                drifts[feature] = self._categorical(ref_values, win_values)
        return drifts

    def _numeric(self, feature: str, reference: list[Any], window: list[Any]) -> FeatureDrift:
        ref = numeric_reference(pd.Series(reference, dtype=np.float64), feature)
        try:
            values = np.asarray(window, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"window column {feature!r} is not numeric") from exc
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InvalidArgumentError(f"window row {bad[0]}: column {feature!r} is not finite")
        psi_counts = _bin_counts(ref.psi_edges, values)
        ks_counts = _bin_counts(ref.ks_edges, values)
        return FeatureDrift(
            psi=psi(ref.psi_counts, psi_counts, self.psi_epsilon),
            ks_p_value=ks_from_bins(ref.ks_counts, ks_counts).p_value,
        )

    def _categorical(self, reference: list[Any], window: list[Any]) -> FeatureDrift:
        ref = categorical_reference(pd.Series([str(v) for v in reference], dtype=object))
        index = {category: i for i, category in enumerate(ref.categories)}
        counts = [0] * len(ref.counts)
        for value in window:
            counts[index.get(str(value), len(ref.categories))] += 1
        return FeatureDrift(
            psi=psi(ref.counts, counts, self.psi_epsilon),
            ks_p_value=chi_squared(ref.counts, counts).p_value,
        )


def _column(rows: Rows, feature: str, side: str) -> list[Any]:
    for index, row in enumerate(rows):
        if feature not in row:
            raise InvalidArgumentError(f"{side} row {index}: column {feature!r} is missing")
    return [row[feature] for row in rows]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bin_counts(edges: tuple[float, ...], values: np.ndarray[Any, Any]) -> list[int]:
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")
    return np.bincount(bins, minlength=len(edges) + 1).tolist()  # type: ignore[no-any-return]
