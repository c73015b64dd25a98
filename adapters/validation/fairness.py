"""Fairness of binary decisions by group, from mergeable per-group counts.

The numbers equal fairlearn's functions (``selection_rate``, ``demographic_parity_difference``,
``demographic_parity_ratio``, ``equalized_odds_difference`` with ``agg="worst_case"``, all with
``method="between_groups"``) and scikit-learn's ``accuracy_score`` per group, without pandas or
``MetricFrame``: each rate is one float division of exact integer counts, as there. Where
fairlearn answers NaN, a number is defined instead so the ledger can record it: a ratio whose
largest selection rate is 0 is 1.0 (no group is selected, so none is favoured), and a TPR or FPR
of a group with no labelled positives (negatives) is 0.0, as scikit-learn's normalised confusion
matrix makes it inside fairlearn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from domain.errors import InvalidArgumentError

__all__ = ["CountingFairnessAssessor", "GroupCounts", "fairness_metrics"]

_FIELDS = ("n", "predicted", "labelled", "true_positive", "false_positive", "correct")

IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class GroupCounts:
    """Per group: rows ``n``, ``predicted`` positive, ``labelled`` positive, ``true_positive``,
    ``false_positive`` and ``correct`` decisions. Counts of disjoint rows add up (``merge``)."""

    counts: Mapping[str, tuple[int, int, int, int, int, int]]

    @classmethod
    def from_arrays(
        cls, y_true: Sequence[int] | IntArray, y_pred: Sequence[int] | IntArray, groups: Any
    ) -> GroupCounts:
        """Counts of labels ``y_true`` and decisions ``y_pred`` (each 0 or 1) by ``groups``."""
        truth = _binary(y_true, "labels")
        decided = _binary(y_pred, "decisions")
        names = np.asarray(groups)
        if names.dtype == object:
            names = names.astype(str)  # sorting fixed-width text is far faster than objects
        if not truth.shape == decided.shape == names.shape:
            raise InvalidArgumentError(
                f"labels ({truth.size}), decisions ({decided.size}) and groups ({names.size}) "
                "must be one value per row, the same number of rows"
            )
        values, codes = np.unique(names, return_inverse=True)
        k = len(values)
        columns = (
            np.bincount(codes, minlength=k),
            np.bincount(codes, weights=decided, minlength=k),
            np.bincount(codes, weights=truth, minlength=k),
            np.bincount(codes, weights=truth & decided, minlength=k),
            np.bincount(codes, weights=decided & (1 - truth), minlength=k),
            np.bincount(codes, weights=truth == decided, minlength=k),
        )
        table = np.stack(columns, axis=1).astype(np.int64)
        return cls({str(v): _row(table[i]) for i, v in enumerate(values)})

    def merge(self, other: GroupCounts) -> GroupCounts:
        """The counts of both sets of rows together."""
        merged = dict(self.counts)
        for group, row in other.counts.items():
            mine = merged.get(group, (0, 0, 0, 0, 0, 0))
            merged[group] = _row([a + b for a, b in zip(mine, row, strict=True)])
        return GroupCounts(dict(sorted(merged.items())))

    def to_json(self) -> dict[str, dict[str, int]]:
        """JSON-ready counts: group -> field -> count."""
        return {g: dict(zip(_FIELDS, row, strict=True)) for g, row in self.counts.items()}

    def metrics(self) -> dict[str, float]:
        """``selection_rate.<g>``, ``accuracy.<g>``, ``count.<g>`` and the disparities (see the
        module docstring); ``InvalidArgumentError`` when there are no rows."""
        if not self.counts:
            raise InvalidArgumentError("no rows to assess fairness on: give at least one")
        table = np.array([self.counts[g] for g in self.counts], dtype=np.int64)
        n, predicted, labelled, tp, fp, correct = table.T
        selection = predicted / n
        tpr = _rate(tp, labelled)
        fpr = _rate(fp, n - labelled)
        out: dict[str, float] = {}
        for i, group in enumerate(self.counts):
            out[f"selection_rate.{group}"] = float(selection[i])
            out[f"accuracy.{group}"] = float(correct[i] / n[i])
            out[f"count.{group}"] = float(n[i])
        low, high = float(selection.min()), float(selection.max())
        ratio = 1.0 if high == 0 else low / high
        out["disparate_impact"] = ratio
        out["demographic_parity_difference"] = high - low
        out["demographic_parity_ratio"] = ratio
        out["equalized_odds_difference"] = max(_spread(tpr), _spread(fpr))
        return out


@dataclass(frozen=True)
class CountingFairnessAssessor:
    """The ``FairnessAssessor`` port: predictions at or above ``threshold`` are positive."""

    threshold: float = 0.5

    def assess(self, predictions: Sequence[float], groups: Sequence[str]) -> Mapping[str, float]:
        """Selection rates and disparities of the decisions by group (no labels: the
        label-based metrics are left out)."""
        decided = (np.asarray(predictions, dtype=np.float64) >= self.threshold).astype(np.int64)
        metrics = GroupCounts.from_arrays(decided, decided, groups).metrics()
        return {k: v for k, v in metrics.items() if not k.startswith(("accuracy.", "equalized"))}


def fairness_metrics(
    y_true: Sequence[int] | IntArray, y_pred: Sequence[int] | IntArray, groups: Any
) -> dict[str, float]:
    """``GroupCounts.from_arrays(y_true, y_pred, groups).metrics()``."""
    return GroupCounts.from_arrays(y_true, y_pred, groups).metrics()


def _binary(values: Sequence[int] | IntArray, what: str) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1 or not ((array == 0) | (array == 1)).all():
        raise InvalidArgumentError(f"{what} must be a flat sequence of 0 and 1")
    return array.astype(np.int64)


def _row(values: Any) -> tuple[int, int, int, int, int, int]:
    n, predicted, labelled, tp, fp, correct = (int(v) for v in values)
    return n, predicted, labelled, tp, fp, correct


def _rate(hits: IntArray, total: IntArray) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.where(total > 0, hits / np.maximum(total, 1), 0.0)


def _spread(rates: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    return float(rates.max() - rates.min())
