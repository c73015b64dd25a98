"""A window's metrics from merged segment summaries, against direct computations on the rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from adapters.monitoring.labelled import summarise_feedback
from adapters.monitoring.reference import ReferenceStatistics
from adapters.monitoring.summaries import summarise_predictions
from adapters.monitoring.window import DriftSettings, window_metrics
from domain.errors import InvalidArgumentError

COSTS = {"bad_accepted": 5.0, "good_refused": 1.0}
SETTINGS = DriftSettings(psi_drift=0.2, p_value=0.01, psi_epsilon=1e-4)
EPSILON = 1e-4


def applicants(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    purposes = ["car", "tv", "education", "boat"] if shift else ["car", "tv", "education"]
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(8 + shift, 0.6, rows).round(0),
            "age": rng.integers(19, 75, rows),
            "purpose": rng.choice(purposes, rows),
            "sex": rng.choice(["female", "male"], rows),
        }
    )
    frame["risk"] = np.where(rng.random(rows) < 0.7, "good", "bad")
    return frame


def reference() -> ReferenceStatistics:
    return ReferenceStatistics.from_frame(
        applicants(600, 1),
        numeric=["amount", "age"],
        categorical=["purpose"],
        protected=["sex"],
        target="risk",
        positive_label="good",
    )


Record = dict[str, Any]


def logged(
    frame: pd.DataFrame, seed: int
) -> tuple[list[Record], list[Record], np.ndarray[Any, Any]]:
    rng = np.random.default_rng(seed)
    good = (frame["risk"] == "good").to_numpy()
    scores = np.clip(rng.normal(0.4 + 0.3 * good, 0.2), 0, 1)
    decisions = (scores >= 0.5).astype(int)
    predictions: list[Record] = []
    feedback: list[Record] = []
    for i, row in enumerate(frame.drop(columns=["risk"]).to_dict("records")):
        output = {"score": float(scores[i]), "decision": int(decisions[i])}
        time = f"2026-11-30T12:00:{i % 60:02d}Z"
        inputs = {k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
        predictions.append({"id": f"p{i}", "time": time, "inputs": inputs, "output": output})
        feedback.append(
            {
                "id": f"f{i}",
                "time": time,
                "label": frame["risk"].iat[i],
                "prediction": output | {"groups": {"sex": inputs["sex"]}},
            }
        )
    return predictions, feedback, scores


def metrics_of(
    ref: ReferenceStatistics, frame: pd.DataFrame, segment: int = 400
) -> dict[str, float]:
    predictions, feedback, _ = logged(frame, 9)
    summarise, labels = summarise_predictions(ref), summarise_feedback(["sex"])
    return window_metrics(
        ref,
        [summarise(predictions[i : i + segment]) for i in range(0, len(frame), segment)],
        [labels(feedback[i : i + segment]) for i in range(0, len(frame), segment)],
        settings=SETTINGS,
        baseline_quality={"auc_roc": 0.8},
        cost_matrix=COSTS,
    )


def direct_psi(edges_or_categories: list[Any], train: pd.Series, window: pd.Series) -> float:
    if isinstance(edges_or_categories[0], str):
        known = list(edges_or_categories)
        e = [*(int((train == c).sum()) for c in known), int((~train.isin(known)).sum())]
        a = [*(int((window == c).sum()) for c in known), int((~window.isin(known)).sum())]
    else:
        edges = np.asarray(edges_or_categories)
        e = np.bincount(np.searchsorted(edges, train), minlength=len(edges) + 1).tolist()
        a = np.bincount(np.searchsorted(edges, window), minlength=len(edges) + 1).tolist()
    total = 0.0
    for ec, ac in zip(e, a, strict=True):
        es, as_ = max(ec / sum(e), EPSILON), max(ac / sum(a), EPSILON)
        total += (as_ - es) * math.log(as_ / es)
    return total


def test_psi_of_each_feature_equals_the_direct_computation_on_the_rows() -> None:
    ref, train, window = reference(), applicants(600, 1), applicants(2000, 2, shift=0.5)

    metrics = metrics_of(ref, window)

    for feature in ["amount", "age"]:
        direct = direct_psi(list(ref.numeric[feature].psi_edges), train[feature], window[feature])
        assert metrics[f"psi.{feature}"] == pytest.approx(direct, abs=1e-12)
    categories = list(ref.categorical["purpose"].categories)
    assert metrics["psi.purpose"] == pytest.approx(
        direct_psi(categories, train["purpose"], window["purpose"]), abs=1e-12
    )


def test_a_shifted_window_drifts_where_it_moved_and_a_stable_one_does_not() -> None:
    ref = reference()

    shifted = metrics_of(ref, applicants(2000, 2, shift=0.5))
    stable = metrics_of(ref, applicants(2000, 3))

    assert shifted["drifted.amount"] == 1.0
    assert shifted["drifted.purpose"] == 1.0
    assert shifted["drifted.age"] == 0.0
    assert shifted["dataset_drift_share"] == pytest.approx(2 / 3)
    assert stable["dataset_drift_share"] == 0.0
    assert stable["ks_p_value.amount"] > 0.01
    assert shifted["chi2_p_value.purpose"] < 1e-6


def test_kpis_quality_and_fairness_equal_direct_computations() -> None:
    frame = applicants(1500, 4)
    _, _, scores = logged(frame, 9)
    approved = scores >= 0.5
    good = (frame["risk"] == "good").to_numpy()

    metrics = metrics_of(reference(), frame)

    assert metrics["rows"] == metrics["labelled_rows"] == 1500
    assert metrics["approval_rate"] == approved.mean()
    cost = (5 * np.sum(approved & ~good) + np.sum(~approved & good)) / 1500
    assert metrics["expected_cost"] == pytest.approx(cost, abs=1e-15)
    assert metrics["quality_ratio"] == metrics["auc_roc"] / 0.8
    rates = {s: approved[frame["sex"] == s].mean() for s in ["female", "male"]}
    assert metrics["disparate_impact.sex"] == pytest.approx(
        min(rates.values()) / max(rates.values()), abs=1e-15
    )
    assert {"equalized_odds_difference.sex", "demographic_parity_difference.sex"} <= set(metrics)
    assert all(math.isfinite(value) for value in metrics.values())


def test_a_window_without_feedback_has_no_labelled_metrics() -> None:
    ref = reference()
    predictions, _, _ = logged(applicants(100, 5), 9)

    metrics = window_metrics(
        ref,
        [summarise_predictions(ref)(predictions)],
        [],
        settings=SETTINGS,
        baseline_quality={},
        cost_matrix=COSTS,
    )

    assert metrics["rows"] == 100
    assert "labelled_rows" not in metrics
    assert "expected_cost" not in metrics


def test_summaries_counted_against_another_reference_are_refused() -> None:
    other = ReferenceStatistics.from_frame(
        applicants(600, 8),
        numeric=["amount", "age"],
        categorical=["purpose"],
        protected=["sex"],
        target="risk",
        positive_label="good",
    )
    predictions, _, _ = logged(applicants(50, 5), 9)

    with pytest.raises(InvalidArgumentError, match="against reference"):
        window_metrics(
            reference(),
            [summarise_predictions(other)(predictions)],
            [],
            settings=SETTINGS,
            baseline_quality={},
            cost_matrix=COSTS,
        )


@pytest.mark.parametrize(
    "settings",
    [
        {"psi_drift": 0.0, "p_value": 0.05},
        {"psi_drift": 0.2, "p_value": 1.5},
        {"psi_drift": 0.2, "p_value": 0.05, "psi_epsilon": 0.0},
    ],
)
def test_drift_settings_out_of_range_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(InvalidArgumentError, match="drift settings"):
        DriftSettings(**settings)
