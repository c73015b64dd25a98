"""Labelled windows: fairness equal to fairlearn's, quality exact or within its stated bound."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from adapters.monitoring.labelled import (
    FeedbackSummary,
    auc_from_histograms,
    labelled_metrics,
    summarise_feedback,
)
from domain.errors import InvalidArgumentError

PROTECTED = ("sex", "age_band")


def feedback(rows: int, seed: int) -> tuple[list[dict[str, object]], dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], rows, p=[0.35, 0.65])
    age_band = rng.choice(["<25", "25-60", ">60"], rows)
    truth = (rng.random(rows) < np.where(sex == "male", 0.75, 0.6)).astype(int)
    scores = np.clip(rng.normal(0.45 + 0.25 * truth, 0.2), 0, 1).round(6)
    decisions = (scores >= np.where(sex == "male", 0.5, 0.55)).astype(int)
    records: list[dict[str, object]] = [
        {
            "id": f"f{i}",
            "kind": "feedback",
            "prediction_id": f"p{i}",
            "time": f"2026-11-30T11:{i % 60:02d}:00Z",
            "label": "good" if truth[i] else "bad",
            "prediction": {
                "score": float(scores[i]),
                "decision": int(decisions[i]),
                "groups": {"sex": str(sex[i]), "age_band": str(age_band[i])},
            },
        }
        for i in range(rows)
    ]
    arrays = {
        "truth": truth,
        "scores": scores,
        "decisions": decisions,
        "sex": sex,
        "age_band": age_band,
    }
    return records, arrays


def metrics_of(records: list[dict[str, object]]) -> dict[str, float]:
    return labelled_metrics(FeedbackSummary.from_dict(summarise_feedback(PROTECTED)(records)))


def test_fairness_equals_fairlearns_functions_exactly() -> None:
    records, rows = feedback(1500, 1)

    metrics = metrics_of(records)

    y, d = rows["truth"], rows["decisions"]
    for attribute in PROTECTED:
        groups = rows[attribute]
        assert metrics[f"demographic_parity_difference.{attribute}"] == float(
            demographic_parity_difference(y, d, sensitive_features=groups)
        )
        assert metrics[f"disparate_impact.{attribute}"] == float(
            demographic_parity_ratio(y, d, sensitive_features=groups)
        )
        assert metrics[f"equalized_odds_difference.{attribute}"] == float(
            equalized_odds_difference(y, d, sensitive_features=groups)
        )
        for group in np.unique(groups):
            mask = groups == group
            assert metrics[f"selection_rate.{attribute}.{group}"] == float(
                selection_rate(y[mask], d[mask])
            )
            assert metrics[f"accuracy.{attribute}.{group}"] == float(
                accuracy_score(y[mask], d[mask])
            )


def test_quality_is_exact_from_counts_and_auc_within_its_bound() -> None:
    records, rows = feedback(2000, 2)

    metrics = metrics_of(records)

    y, s, d = rows["truth"], rows["scores"], rows["decisions"]
    assert metrics["labelled_rows"] == 2000
    assert metrics["accuracy"] == accuracy_score(y, d)
    assert metrics["precision"] == precision_score(y, d)
    assert metrics["recall"] == recall_score(y, d)
    assert metrics["f1"] == pytest.approx(f1_score(y, d), abs=1e-15)
    assert metrics["brier"] == pytest.approx(brier_score_loss(y, s), abs=1e-12)
    exact = roc_auc_score(y, s)
    assert abs(metrics["auc_roc"] - exact) <= metrics["auc_roc_error_bound"] + 1e-12
    assert metrics["auc_roc_error_bound"] < 0.01


def test_auc_from_histograms_bound_holds_for_coarse_bins_too() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 3000)
    s = np.clip(rng.normal(0.4 + 0.2 * y, 0.25), 0, 1)
    for bins in (5, 20, 200):
        b = np.minimum((s * bins).astype(int), bins - 1)
        negatives = tuple(np.bincount(b[y == 0], minlength=bins).tolist())
        positives = tuple(np.bincount(b[y == 1], minlength=bins).tolist())

        auc, bound = auc_from_histograms(negatives, positives)

        assert abs(auc - roc_auc_score(y, s)) <= bound + 1e-12


def test_merged_segments_give_the_metrics_of_all_rows() -> None:
    records, _ = feedback(1000, 3)
    summarise = summarise_feedback(PROTECTED)

    merged = FeedbackSummary.from_dict(summarise([]))
    for start in range(0, 1000, 300):
        merged = merged.merge(FeedbackSummary.from_dict(summarise(records[start : start + 300])))

    whole = metrics_of(records)
    mine = labelled_metrics(merged)
    assert mine.pop("brier") == pytest.approx(whole.pop("brier"), abs=1e-12)
    assert mine == whole


def test_an_empty_feedback_summary_has_no_metrics() -> None:
    assert labelled_metrics(FeedbackSummary.from_dict(summarise_feedback(PROTECTED)([]))) == {}


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: r.update(label="ugly"), r"feedback record 2: label 'ugly' is not one of"),
        (lambda r: r.pop("label"), r"feedback record 2: label is missing"),
        (lambda r: r["prediction"].update(score=-0.1), r"record 2: prediction.score must be in"),
        (lambda r: r["prediction"].update(decision=3), r"record 2: prediction.decision must be"),
        (
            lambda r: r["prediction"]["groups"].pop("sex"),
            r"record 2: prediction.groups.sex is missing",
        ),
    ],
)
def test_feedback_that_cannot_be_counted_is_refused_naming_the_record(
    spoil: object, message: str
) -> None:
    records, _ = feedback(5, 4)
    spoil(records[2])  # type: ignore[operator]

    with pytest.raises(InvalidArgumentError, match=message):
        summarise_feedback(PROTECTED)(records)
