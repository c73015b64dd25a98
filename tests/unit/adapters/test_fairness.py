"""Fairness from grouped counts: the same numbers as fairlearn's functions, exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score

from adapters.validation.fairness import CountingFairnessAssessor, GroupCounts, fairness_metrics
from domain.errors import InvalidArgumentError
from tests.unit.adapters.test_lime_explainer import credit

Ints = np.ndarray[Any, np.dtype[np.int64]]


def fairlearn_numbers(y_true: Ints, y_pred: Ints, groups: np.ndarray[Any, Any]) -> dict[str, float]:
    """What fairlearn (and scikit-learn per group) say about the same decisions."""
    out: dict[str, float] = {}
    for group in np.unique(groups):
        mine = groups == group
        out[f"selection_rate.{group}"] = selection_rate(y_true[mine], y_pred[mine])
        out[f"accuracy.{group}"] = accuracy_score(y_true[mine], y_pred[mine])
        out[f"count.{group}"] = float(mine.sum())
    out["demographic_parity_difference"] = demographic_parity_difference(
        y_true, y_pred, sensitive_features=groups
    )
    out["demographic_parity_ratio"] = demographic_parity_ratio(
        y_true, y_pred, sensitive_features=groups
    )
    out["disparate_impact"] = out["demographic_parity_ratio"]
    out["equalized_odds_difference"] = equalized_odds_difference(
        y_true, y_pred, sensitive_features=groups
    )
    return {name: float(value) for name, value in out.items()}


@pytest.mark.parametrize("attribute", ["sex", "age_band", "foreign_worker"])
def test_the_german_credit_models_fairness_equals_fairlearns(attribute: str) -> None:
    model, holdout = credit().model, credit().holdout
    frame = model.typed(holdout)
    decisions, labels = model.decide(frame), model.labels(holdout)
    groups = holdout[attribute].to_numpy(dtype=str)

    ours = fairness_metrics(labels, decisions, groups)

    assert ours == fairlearn_numbers(labels, decisions, groups)
    assert 0 < ours["disparate_impact"] < 1


# fairlearn takes ~0.1-0.3 s per example (three MetricFrames), so the examples are few.
@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from(["a", "b", "c", "é"])),
        min_size=2,  # fairlearn cannot take a single row
        max_size=60,
    )
)
def test_any_decisions_get_fairlearns_numbers(rows: list[tuple[int, int, str]]) -> None:
    y_true = np.array([r[0] for r in rows], dtype=np.int64)
    y_pred = np.array([r[1] for r in rows], dtype=np.int64)
    groups = np.array([r[2] for r in rows])

    ours = fairness_metrics(y_true, y_pred, groups)
    theirs = fairlearn_numbers(y_true, y_pred, groups)

    if np.isnan(theirs["demographic_parity_ratio"]):
        # No group is selected: fairlearn divides 0 by 0, we record "no disparity".
        assert not y_pred.any()
        theirs["demographic_parity_ratio"] = theirs["disparate_impact"] = 1.0
    assert ours == theirs


def test_no_selection_at_all_is_no_disparity() -> None:
    metrics = fairness_metrics([1, 0, 1, 0], [0, 0, 0, 0], ["a", "a", "b", "b"])

    assert metrics["disparate_impact"] == 1.0
    assert metrics["demographic_parity_difference"] == 0.0


def test_a_group_without_positive_labels_has_a_true_positive_rate_of_0_as_in_fairlearn() -> None:
    y_true, y_pred = np.array([0, 0, 1, 1, 0]), np.array([1, 0, 1, 0, 0])
    groups = np.array(["a", "a", "b", "b", "b"])

    ours = fairness_metrics(y_true, y_pred, groups)["equalized_odds_difference"]

    assert ours == equalized_odds_difference(y_true, y_pred, sensitive_features=groups)
    assert ours == 0.5  # TPR a = 0 (no positives), b = 1/2; FPR a = 1/2, b = 0


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 1), st.sampled_from(["x", "y", "z"])),
        min_size=2,
        max_size=40,
    ),
    st.integers(1, 39),
)
def test_counts_of_two_parts_merge_into_the_counts_of_the_whole(
    rows: list[tuple[int, int, str]], cut: int
) -> None:
    cut = min(cut, len(rows) - 1)

    def counts(part: list[tuple[int, int, str]]) -> GroupCounts:
        return GroupCounts.from_arrays(*(np.array(column) for column in zip(*part, strict=True)))

    merged = counts(rows[:cut]).merge(counts(rows[cut:]))

    assert merged == counts(rows)
    assert merged.metrics() == counts(rows).metrics()


def test_counts_are_json_ready_per_group() -> None:
    counts = GroupCounts.from_arrays([1, 0, 1], [1, 1, 0], ["f", "m", "m"])

    assert counts.to_json() == {
        "f": {
            "n": 1,
            "predicted": 1,
            "labelled": 1,
            "true_positive": 1,
            "false_positive": 0,
            "correct": 1,
        },
        "m": {
            "n": 2,
            "predicted": 1,
            "labelled": 1,
            "true_positive": 0,
            "false_positive": 1,
            "correct": 0,
        },
    }


@pytest.mark.parametrize(
    ("y_true", "y_pred", "groups", "message"),
    [
        ([1, 0], [1], ["a", "b"], "same number of rows"),
        ([1, 2], [1, 0], ["a", "b"], "labels must be a flat sequence of 0 and 1"),
        ([1, 0], [0.5, 0], ["a", "b"], "decisions must be a flat sequence of 0 and 1"),
    ],
)
def test_malformed_arrays_are_refused_saying_what_to_fix(
    y_true: list[int], y_pred: list[float], groups: list[str], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        GroupCounts.from_arrays(y_true, y_pred, groups)  # type: ignore[arg-type]


def test_no_rows_have_no_fairness() -> None:
    with pytest.raises(InvalidArgumentError, match="no rows"):
        GroupCounts.from_arrays([], [], []).metrics()


def test_the_port_counts_predictions_at_the_threshold_as_positive() -> None:
    metrics = CountingFairnessAssessor().assess([0.5, 0.49, 0.9, 0.1], ["a", "a", "b", "b"])

    assert metrics["selection_rate.a"] == 0.5
    assert metrics["selection_rate.b"] == 0.5
    assert metrics["disparate_impact"] == 1.0
    assert not any(name.startswith(("accuracy.", "equalized")) for name in metrics)


def test_the_port_measures_disparate_impact_as_min_over_max_selection_rate() -> None:
    metrics = CountingFairnessAssessor(threshold=0.7).assess(
        [0.8, 0.8, 0.8, 0.1, 0.9, 0.2, 0.2, 0.2], ["a"] * 4 + ["b"] * 4
    )

    assert metrics["disparate_impact"] == 0.25 / 0.75
    assert metrics["demographic_parity_difference"] == 0.5
