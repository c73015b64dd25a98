"""Fairness judged only on groups with rows enough, in validation and in monitoring windows; a
feature's PSI at the drift threshold is a drift breach; the prediction log's sealing limits."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import InvalidArgumentError
from domain.rules.group_sizes import judged_fairness
from domain.rules.policy import (
    MonitoringThresholds,
    Policy,
    ValidationThresholds,
    default_policy_document,
)
from domain.rules.thresholds import judge_window
from domain.rules.validation import validation_breaches

FOREIGN = {
    "count.yes": 286.0,
    "count.no": 14.0,
    "selection_rate.yes": 0.70,
    "selection_rate.no": 0.93,
    "disparate_impact": 0.70 / 0.93,
    "equalized_odds_difference": 0.55,
}


def test_a_small_group_is_left_out_of_the_ratio_and_of_equalized_odds() -> None:
    judged = judged_fairness(FOREIGN, 30)

    assert judged.disparate_impact is None  # one group left: nothing to compare
    assert not judged.complete
    assert judged.small_groups == ("no",)


def test_groups_with_rows_enough_are_judged_on_their_own_rates() -> None:
    metrics = {**FOREIGN, "count.maybe": 40.0, "selection_rate.maybe": 0.35}

    judged = judged_fairness(metrics, 30)

    assert judged.disparate_impact == 0.35 / 0.70
    assert judged.small_groups == ("no",)


def test_without_counts_the_reported_ratio_stands() -> None:
    judged = judged_fairness({"disparate_impact": 0.6}, 30)

    assert (judged.disparate_impact, judged.complete) == (0.6, True)


def test_with_every_group_large_the_ratio_is_the_reported_one() -> None:
    judged = judged_fairness(FOREIGN, 10)

    assert judged.disparate_impact == pytest.approx(FOREIGN["disparate_impact"])
    assert judged.complete


def test_validation_names_the_groups_left_out_and_skips_equalized_odds() -> None:
    fairness = {
        "foreign_worker": FOREIGN,
        "age_band": {
            "count.under_25": 60.0,
            "count.25_and_over": 240.0,
            "selection_rate.under_25": 0.5,
            "selection_rate.25_and_over": 0.75,
            "disparate_impact": 0.5 / 0.75,
            "equalized_odds_difference": 0.3,
        },
    }

    found = [b.description for b in validation_breaches({}, fairness, {}, ValidationThresholds())]

    assert found == [
        f"disparate impact of age_band {0.5 / 0.75} < 0.8",
        "equalized odds difference of age_band 0.3 > 0.2",
    ]
    strict = ValidationThresholds(min_group_rows=10)
    with_small = [b.description for b in validation_breaches({}, fairness, {}, strict)]
    assert any("foreign_worker" in b for b in with_small)


def test_a_window_judges_fairness_on_groups_with_rows_enough() -> None:
    metrics = {
        "disparate_impact.foreign_worker": 0.5,
        "count.foreign_worker.yes": 900.0,
        "count.foreign_worker.no": 12.0,
        "selection_rate.foreign_worker.yes": 0.4,
        "selection_rate.foreign_worker.no": 0.8,
    }

    assert judge_window(metrics, MonitoringThresholds()).breaches == []
    assert judge_window(metrics, MonitoringThresholds(min_group_rows=10)).breaches == [
        "disparate impact of foreign_worker 0.5 < 0.8"
    ]


def test_one_feature_at_the_drift_threshold_is_a_drift_breach() -> None:
    judged = judge_window({"psi.age": 0.4, "psi.duration": 0.12}, MonitoringThresholds())

    assert judged.drifted
    assert judged.breaches == ["PSI of age 0.4 >= 0.25 (drift)"]
    assert judged.drifted_features == ["age"]
    assert judged.warnings == ["PSI of duration 0.12 >= 0.1"]


def _policy(**sections: Any) -> Policy:
    document = default_policy_document()
    document.update(sections)
    return Policy.from_document(document)


def test_the_prediction_log_section_sets_when_segments_seal() -> None:
    assert _policy().prediction_log.segment_max_records == 10_000
    limits = _policy(
        prediction_log={"segment_max_records": 500, "segment_max_seconds": 5}
    ).prediction_log
    assert (limits.segment_max_records, limits.segment_max_seconds) == (500, 5.0)


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"segment_max_records": 0}, "segment_max_records"),
        ({"segment_max_records": 2.5}, "whole number"),
        ({"segment_max_seconds": 0}, "segment_max_seconds"),
        ({"segment_max_seconds": 90_000}, "segment_max_seconds"),
        ({"every": 3}, "every"),
    ],
)
def test_impossible_sealing_limits_are_refused(section: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        _policy(prediction_log=section)


def test_min_group_rows_must_be_a_count() -> None:
    with pytest.raises(InvalidArgumentError, match="min_group_rows"):
        _policy(validation={"min_group_rows": -1})
