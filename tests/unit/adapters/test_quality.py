"""Quality metrics of scores and decisions against labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, f1_score, roc_auc_score

from adapters.validation.quality import quality_metrics
from domain.errors import InvalidArgumentError
from tests.unit.adapters.test_lime_explainer import credit


def test_a_small_case_has_the_numbers_worked_by_hand() -> None:
    labels = [1, 1, 0, 0]
    scores = [0.9, 0.4, 0.6, 0.1]
    decisions = [1, 0, 1, 0]

    metrics = quality_metrics(labels, scores, decisions)

    assert metrics == {
        "auc_roc": 0.75,  # 3 of the 4 (positive, negative) pairs are ordered right
        "accuracy": 0.5,
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "brier": (0.1**2 + 0.6**2 + 0.6**2 + 0.1**2) / 4,
    }


def test_the_credit_models_holdout_quality_is_plausible_and_sklearns() -> None:
    model, holdout = credit().model, credit().holdout
    frame = model.typed(holdout)
    labels, scores = model.labels(holdout), model.score(frame)
    decisions = model.decide(frame, scores)

    metrics = quality_metrics(labels, scores, decisions)

    assert metrics["auc_roc"] == roc_auc_score(labels, scores)
    assert metrics["brier"] == brier_score_loss(labels, scores)
    assert metrics["f1"] == f1_score(labels, decisions)
    assert 0.7 < metrics["auc_roc"] < 0.95
    assert all(isinstance(v, float) and np.isfinite(v) for v in metrics.values())


def test_no_positive_decision_has_a_precision_of_0() -> None:
    metrics = quality_metrics([1, 0, 1], [0.2, 0.1, 0.3], [0, 0, 0])

    assert metrics["precision"] == 0.0
    assert metrics["recall"] == 0.0
    assert metrics["f1"] == 0.0


@pytest.mark.parametrize(
    ("labels", "scores", "decisions", "message"),
    [
        ([1, 1, 1], [0.2, 0.5, 0.9], [0, 1, 1], r"only label \[1\] is present"),
        ([0, 0], [0.2, 0.5], [0, 1], r"only label \[0\] is present"),
        ([], [], [], "no rows"),
        ([1, 0], [0.2], [0, 1], "same number of rows"),
        ([1, 0], [0.2, 1.5], [0, 1], r"probabilities in \[0, 1\]"),
        ([1, 0], [0.2, float("nan")], [0, 1], "finite"),
        ([1, 2], [0.2, 0.5], [0, 1], "labels must be"),
        ([1, 0], [0.2, 0.5], [0, 3], "decisions must be"),
    ],
)
def test_what_quality_cannot_be_measured_on_is_refused_saying_why(
    labels: list[int], scores: list[float], decisions: list[int], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        quality_metrics(labels, scores, decisions)
