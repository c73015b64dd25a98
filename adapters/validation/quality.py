"""Quality of a binary classifier's scores and decisions against labels (scikit-learn metrics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from domain.errors import InvalidArgumentError

__all__ = ["quality_metrics"]

Numbers = Sequence[float] | np.ndarray[Any, Any]


def quality_metrics(y_true: Numbers, scores: Numbers, decisions: Numbers) -> dict[str, float]:
    """``auc_roc``, ``accuracy``, ``precision``, ``recall``, ``f1`` and ``brier`` of ``scores``
    (probabilities of label 1) and ``decisions`` (0 or 1) against ``y_true`` (0 or 1).

    ``InvalidArgumentError`` unless both labels occur (AUC is undefined otherwise) and the three
    have one finite value per row. Precision of no positive decision is 0.0 (scikit-learn's
    ``zero_division=0``).
    """
    truth = _binary(y_true, "labels")
    decided = _binary(decisions, "decisions")
    scored = np.asarray(scores, dtype=np.float64)
    if not truth.shape == decided.shape == scored.shape:
        raise InvalidArgumentError(
            f"labels ({truth.size}), scores ({scored.size}) and decisions ({decided.size}) "
            "must be one value per row, the same number of rows"
        )
    if truth.size == 0:
        raise InvalidArgumentError("no rows to assess quality on: give at least one of each label")
    if not np.isfinite(scored).all() or scored.min() < 0 or scored.max() > 1:
        raise InvalidArgumentError("scores must be finite probabilities in [0, 1]")
    present = set(np.unique(truth).tolist())
    if present != {0, 1}:
        raise InvalidArgumentError(
            f"quality needs rows of both labels; only label {sorted(present)} is present: "
            "assess on a sample with positives and negatives"
        )
    metrics = {
        "auc_roc": roc_auc_score(truth, scored),
        "accuracy": accuracy_score(truth, decided),
        "precision": precision_score(truth, decided, zero_division=0),
        "recall": recall_score(truth, decided, zero_division=0),
        "f1": f1_score(truth, decided, zero_division=0),
        "brier": brier_score_loss(truth, scored),
    }
    return {name: float(value) for name, value in metrics.items()}


def _binary(values: Numbers, what: str) -> np.ndarray[Any, np.dtype[np.int64]]:
    array = np.asarray(values)
    if array.ndim != 1 or not ((array == 0) | (array == 1)).all():
        raise InvalidArgumentError(f"{what} must be a flat sequence of 0 and 1")
    return array.astype(np.int64)
