"""Monitoring windows over sealed segments: typed flags, findings in prod, retraining, notices."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.errors import InvalidArgumentError, InvalidStateError, NotAuthorizedError
from domain.rules.policy import default_policy_document
from tests.unit.fakes import FakeNotifier, NewOrganisation, Organisation, refused, topics

SEGMENT = "sha256:" + "01" * 32
CALM = {"psi.age": 0.02, "drifted.age": 0.0, "dataset_drift_share": 0.0, "approval_rate": 0.7}
STORMY = {
    "psi.age": 0.4,
    "psi.amount": 0.15,
    "drifted.age": 1.0,
    "drifted.amount": 0.0,
    "dataset_drift_share": 0.5,
    "disparate_impact.sex": 0.7,
    "equalized_odds_difference.sex": 0.12,
    "disparate_impact.age": 0.9,
    "auc_roc": 0.6,
    "quality_ratio": 0.75,
    "approval_rate": 0.98,
    "expected_cost": 0.9,
}


def deployed_with_a_segment(org: Organisation, environment: str = "prod") -> UUID:
    version_id = org.released()
    org.deploy(version_id, environment)
    org.seal_segment(version_id, environment=environment)
    return version_id


def record(org: Organisation, version_id: UUID, metrics: dict[str, float], **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "actor": "mon",
        "version_id": version_id,
        "environment": "prod",
        "start": "2026-11-30T10:00:00+00:00",
        "end": "2026-11-30T11:00:00+00:00",
        "metrics": metrics,
        "segments": [SEGMENT],
    }
    return org.app.record_monitoring_window(**{**arguments, **changes})


def retrain_on_breach(org: Organisation) -> None:
    document = default_policy_document()
    document["version"] = "retrain"
    document["monitoring"]["retrain_on_breach"] = True
    org.app.set_policy(actor="root", document=document)


def test_a_calm_window_is_recorded_without_flags(new_organisation: NewOrganisation) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    outcome = record(org, version_id, CALM)

    assert (outcome.breaches, outcome.flags, outcome.finding_id) == ([], [], None)
    assert topics(org.app)[-1] == "MonitoringWindowEvaluated"
    assert org.app.get_model_version(version_id).monitoring_windows == 1


def test_each_breached_family_records_its_flag_and_prod_raises_a_finding(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    outcome = record(org, version_id, STORMY)

    assert outcome.flags == ["DriftFlagged", "FairnessBreached", "QualityDegraded", "KpiBreached"]
    assert topics(org.app)[-7:] == [
        "MonitoringWindowEvaluated",
        *outcome.flags,
        "FindingLinked",
        "Raised",
    ]
    assert outcome.breaches == [
        "disparate impact of sex 0.7 < 0.8",
        "PSI of age 0.4 >= 0.25 (drift)",
        "dataset drift share 0.5 >= 0.5 (dataset drift)",
        "quality ratio 0.75 < 0.8",
        "approval rate 0.98 outside [0.3, 0.95]",
        "expected cost 0.9 > 0.7",
    ]
    assert outcome.warnings == ["PSI of amount 0.15 >= 0.1"]
    finding = org.app.get_finding(outcome.finding_id)
    assert (finding.severity, finding.source) == ("high", "monitoring")
    assert not outcome.retraining_requested


def test_the_flags_carry_the_features_attributes_and_kpis_that_breached(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)
    record(org, version_id, STORMY)

    events = {
        type(event).__name__: event
        for event in map(org.app.mapper.to_domain_event, org.app.recorder.select_events(version_id))
    }

    drift, fairness = events["DriftFlagged"], events["FairnessBreached"]
    assert (drift.features, drift.dataset_drift_share) == (["age"], 0.5)  # type: ignore[attr-defined]
    assert fairness.attributes == {  # type: ignore[attr-defined]
        "sex": {"disparate_impact": 0.7, "equalized_odds_difference": 0.12}
    }
    assert events["QualityDegraded"].metrics == {"auc_roc": 0.6, "quality_ratio": 0.75}  # type: ignore[attr-defined]
    assert events["KpiBreached"].kpis == {"approval_rate": 0.98, "expected_cost": 0.9}  # type: ignore[attr-defined]
    window = events["MonitoringWindowEvaluated"]
    assert window.segments == [SEGMENT]  # type: ignore[attr-defined]
    assert window.warnings == ["PSI of amount 0.15 >= 0.1"]  # type: ignore[attr-defined]


def test_outside_prod_a_breach_is_flagged_without_a_finding(
    new_organisation: NewOrganisation,
) -> None:
    notifier = FakeNotifier()
    org = new_organisation(notifier=notifier)
    version_id = deployed_with_a_segment(org, "uat")

    outcome = record(org, version_id, STORMY, environment="uat")

    assert outcome.finding_id is None
    assert "DriftFlagged" in outcome.flags
    assert notifier.notices == []


def test_the_finding_is_pushed_to_the_notifier(new_organisation: NewOrganisation) -> None:
    notifier = FakeNotifier()
    org = new_organisation(notifier=notifier)
    version_id = deployed_with_a_segment(org)

    outcome = record(org, version_id, STORMY)

    assert outcome.notified
    assert notifier.notices == [
        {
            "type": "finding_raised",
            "finding_id": str(outcome.finding_id),
            "model": "credit",
            "version": 1,
            "environment": "prod",
            "severity": "high",
            "title": org.app.get_finding(outcome.finding_id).title,
            "breaches": outcome.breaches,
        }
    ]


def test_a_notifier_failure_does_not_lose_the_window(
    new_organisation: NewOrganisation, caplog: pytest.LogCaptureFixture
) -> None:
    org = new_organisation(notifier=FakeNotifier(failing=True))
    version_id = deployed_with_a_segment(org)

    outcome = record(org, version_id, STORMY)

    assert not outcome.notified
    assert org.app.get_finding(outcome.finding_id).is_open
    assert org.app.get_model_version(version_id).monitoring_windows == 1
    assert f"finding {outcome.finding_id} was not queued" in caplog.text


def test_the_policy_can_request_retraining_on_a_breach(new_organisation: NewOrganisation) -> None:
    org = new_organisation()
    retrain_on_breach(org)
    version_id = deployed_with_a_segment(org)

    outcome = record(org, version_id, STORMY)

    assert outcome.retraining_requested
    assert topics(org.app)[-3:] == ["FindingLinked", "RetrainingRequested", "Raised"]
    (reason,) = org.app.get_model_version(version_id).retraining_requests
    assert reason.startswith("monitoring breach in prod: disparate impact of sex")


def test_no_retraining_is_requested_for_a_calm_window(new_organisation: NewOrganisation) -> None:
    org = new_organisation()
    retrain_on_breach(org)
    version_id = deployed_with_a_segment(org)

    assert not record(org, version_id, CALM).retraining_requested


def test_a_window_must_name_sealed_segments_of_the_version(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)
    unsealed = "sha256:" + "02" * 32

    with refused(org.app, InvalidArgumentError, "are not sealed segments of version 1 in prod"):
        record(org, version_id, CALM, segments=[SEGMENT, unsealed])


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"start": "2026-11-30T10:00:00"}, "needs times with a UTC offset"),
        ({"end": "2026-11-30T09:00:00+00:00"}, "is not before its end"),
        ({"segments": ["sha256:nope"]}, "segment digest 'sha256:nope'"),
    ],
)
def test_malformed_windows_are_refused(
    new_organisation: NewOrganisation, changes: dict[str, Any], match: str
) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    with refused(org.app, InvalidArgumentError, match):
        record(org, version_id, CALM, **changes)


def test_a_version_never_deployed_there_is_not_monitored(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    with refused(org.app, InvalidStateError, "was never deployed in dev"):
        record(org, version_id, CALM, environment="dev", segments=[])


def test_only_the_monitor_records_windows(new_organisation: NewOrganisation) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    with refused(org.app, NotAuthorizedError, "'dee' may not record_monitoring_window"):
        record(org, version_id, CALM, actor="dee")


def test_a_metric_that_is_not_finite_is_refused(new_organisation: NewOrganisation) -> None:
    org = new_organisation()
    version_id = deployed_with_a_segment(org)

    with refused(org.app, InvalidArgumentError, "metric psi.age: inf is not finite"):
        record(org, version_id, {"psi.age": float("inf")})
