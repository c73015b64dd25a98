"""Monitors on in-memory persistence: registration, and windows evaluated through the ports."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.aggregates.monitor import Monitor
from domain.errors import (
    DuplicateError,
    InvalidArgumentError,
    InvalidStateError,
    NotAuthorizedError,
    NotConfiguredError,
)
from domain.ports.protocols import FeatureDrift
from tests.unit.fakes import (
    FakeDriftDetector,
    FakeFairnessAssessor,
    NewOrganisation,
    Organisation,
    refused,
    topics,
)

REFERENCE = [{"age": 30, "amount": 1000.0}, {"age": 45, "amount": 2500.0}]
WINDOW = [{"age": 62, "amount": 900.0}, {"age": 70, "amount": 4000.0}]
PREDICTIONS = [1.0, 0.0, 1.0, 0.0]
GROUPS = ["young", "young", "old", "old"]
START, END = "2025-01-01T00:00:00+00:00", "2025-01-08T00:00:00+00:00"

# age drifts by PSI, amount by the KS test, income not at all: two features of three.
DRIFT = {
    "age": FeatureDrift(psi=0.3, ks_p_value=0.2),
    "amount": FeatureDrift(psi=0.05, ks_p_value=0.01),
    "income": FeatureDrift(psi=0.02, ks_p_value=0.6),
}


@pytest.fixture
def drift() -> FakeDriftDetector:
    return FakeDriftDetector(DRIFT)


@pytest.fixture
def fairness() -> FakeFairnessAssessor:
    return FakeFairnessAssessor({"disparate_impact": 0.7})


@pytest.fixture
def org(
    new_organisation: NewOrganisation, drift: FakeDriftDetector, fairness: FakeFairnessAssessor
) -> Organisation:
    return new_organisation(drift_detector=drift, fairness_assessor=fairness)


def deployed_monitor(
    org: Organisation, kind: str, environment: str = "prod", **thresholds: float
) -> UUID:
    """A monitor of ``kind`` on a released version deployed in ``environment``."""
    version_id = org.released()
    org.deploy(version_id, environment)
    return org.app.register_monitor(
        actor="olga",
        version_id=version_id,
        kind=kind,
        environment=environment,
        thresholds=thresholds,
    )


def evaluate(org: Organisation, monitor_id: UUID, actor: str = "mon") -> UUID | None:
    return org.app.evaluate_monitoring_window(
        actor=actor,
        monitor_id=monitor_id,
        start=START,
        end=END,
        reference_rows=REFERENCE,
        window_rows=WINDOW,
        predictions=PREDICTIONS,
        groups=GROUPS,
    )


def test_a_model_owner_registers_a_monitor_with_its_own_thresholds(org: Organisation) -> None:
    version_id = org.released()

    monitor_id = org.app.register_monitor(
        actor="olga",
        version_id=version_id,
        kind="fairness",
        environment="prod",
        thresholds={"disparate_impact_min": 0.9},
    )

    monitor = org.app.get_monitor(monitor_id)
    assert monitor_id == Monitor.create_id(version_id, "fairness", "prod")
    assert (monitor.kind, monitor.environment, monitor.registered_by) == (
        "fairness",
        "prod",
        "olga",
    )
    assert monitor.thresholds == {"disparate_impact_min": 0.9}
    assert topics(org.app)[-1] == "Registered"


def test_only_a_model_owner_registers_a_monitor_and_the_refusal_is_recorded(
    org: Organisation,
) -> None:
    version_id = org.released()

    with refused(org.app, NotAuthorizedError, "'mon' may not register_monitor"):
        org.app.register_monitor(
            actor="mon", version_id=version_id, kind="drift", environment="prod"
        )


def test_a_version_has_one_monitor_of_a_kind_per_environment(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "drift")
    version_id = org.app.get_monitor(monitor_id).model_version_id

    with refused(org.app, DuplicateError, "a drift monitor of version 1 in prod is already"):
        org.app.register_monitor(
            actor="olga", version_id=version_id, kind="drift", environment="prod"
        )


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("kind", "latency", "monitor kind 'latency' is not one of"),
        ("environment", "staging", "environment 'staging' is not one of"),
        ("thresholds", {"psi_panic": 1.0}, r"thresholds \['psi_panic'\] are not among"),
    ],
)
def test_a_monitor_outside_the_vocabulary_is_refused_and_the_refusal_recorded(
    org: Organisation, argument: str, value: object, message: str
) -> None:
    arguments: dict[str, object] = {"kind": "drift", "environment": "prod", "thresholds": None}
    arguments[argument] = value
    version_id = org.released()
    with refused(org.app, InvalidArgumentError, message):
        org.app.register_monitor(actor="olga", version_id=version_id, **arguments)  # type: ignore[arg-type]


def test_drift_in_prod_beyond_the_share_of_features_raises_exactly_one_finding(
    org: Organisation, drift: FakeDriftDetector
) -> None:
    monitor_id = deployed_monitor(org, "drift")

    finding_id = evaluate(org, monitor_id)

    assert drift.calls == [(REFERENCE, WINDOW)]
    monitor = org.app.get_monitor(monitor_id)
    version = org.app.get_model_version(monitor.model_version_id)
    assert finding_id is not None
    assert version.finding_ids == [finding_id]
    assert monitor.last_metrics["dataset_drift_share"] == pytest.approx(2 / 3)
    assert monitor.last_metrics["psi.age"] == 0.3
    assert monitor.last_breaches == [
        "PSI of age 0.3 >= 0.25 (drift)",
        "dataset drift share 0.6666666666666666 >= 0.5 (dataset drift)",
    ]
    finding = org.app.get_finding(finding_id)
    assert (finding.severity, finding.source, finding.raised_by) == ("high", "monitoring", "mon")
    assert topics(org.app)[-3:] == ["WindowEvaluated", "FindingLinked", "Raised"]


def test_a_fairness_breach_outside_prod_is_recorded_without_a_finding(
    org: Organisation, fairness: FakeFairnessAssessor, drift: FakeDriftDetector
) -> None:
    monitor_id = deployed_monitor(org, "fairness", environment="uat")

    finding_id = evaluate(org, monitor_id)

    assert finding_id is None
    assert fairness.calls == [(PREDICTIONS, GROUPS)]
    assert drift.calls == []
    monitor = org.app.get_monitor(monitor_id)
    assert monitor.last_breaches == ["disparate impact 0.7 < 0.8"]
    assert org.app.get_model_version(monitor.model_version_id).finding_ids == []
    assert topics(org.app)[-1] == "WindowEvaluated"


def test_a_monitors_own_threshold_replaces_the_policys(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "fairness", disparate_impact_min=0.6)

    assert evaluate(org, monitor_id) is None
    assert org.app.get_monitor(monitor_id).last_breaches == []


def test_the_window_records_its_bounds_metrics_and_evaluator(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "fairness")
    evaluate(org, monitor_id)

    [window] = [
        org.app.mapper.to_domain_event(notification)
        for notification in org.app.recorder.select_notifications(start=None, limit=10_000)
        if notification.topic.endswith("Monitor.WindowEvaluated")
    ]
    assert window.originator_id == monitor_id
    assert (window.start, window.end, window.actor) == (START, END, "mon")  # type: ignore[attr-defined]
    assert window.metrics == {"disparate_impact": 0.7}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("drift", "drift_detector"), ("fairness", "fairness_assessor")],
)
def test_a_window_needing_a_missing_port_is_a_configuration_error_not_a_refusal(
    kind: str, missing: str, new_organisation: NewOrganisation
) -> None:
    """Finding 10 / Build 5: a missing port is the operator's fault; nothing is recorded."""
    org = new_organisation()
    monitor_id = deployed_monitor(org, kind)
    before = topics(org.app)

    with pytest.raises(NotConfiguredError, match=f"construct the application with {missing}="):
        evaluate(org, monitor_id)
    assert topics(org.app) == before


def test_no_port_evaluates_a_quality_monitor_from_rows(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "quality")

    with refused(org.app, InvalidStateError, "report their metrics with record_monitoring_result"):
        evaluate(org, monitor_id)


def test_a_window_where_the_version_does_not_run_is_refused(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "drift")
    org.app.roll_back(
        actor="dee", version_id=org.app.get_monitor(monitor_id).model_version_id, environment="prod"
    )

    with refused(org.app, InvalidStateError, "is not deployed in prod"):
        evaluate(org, monitor_id)


def test_only_the_monitor_service_evaluates_a_window(
    org: Organisation, drift: FakeDriftDetector
) -> None:
    monitor_id = deployed_monitor(org, "drift")

    with refused(org.app, NotAuthorizedError, "'olga' may not evaluate_monitoring_window"):
        evaluate(org, monitor_id, actor="olga")
    assert drift.calls == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (END, START, "is not before its end"),
        ("last week", END, "is not a pair of ISO 8601 times"),
        ("2025-01-01T00:00:00", END, "needs times with a UTC offset"),
    ],
)
def test_a_window_must_run_forward_in_time(
    org: Organisation, start: str, end: str, message: str
) -> None:
    monitor_id = deployed_monitor(org, "drift")
    with refused(org.app, InvalidArgumentError, message):
        org.app.evaluate_monitoring_window(
            actor="mon",
            monitor_id=monitor_id,
            start=start,
            end=end,
            reference_rows=REFERENCE,
            window_rows=WINDOW,
        )


def test_a_fairness_window_needs_one_group_per_prediction(org: Organisation) -> None:
    monitor_id = deployed_monitor(org, "fairness")

    with refused(org.app, InvalidArgumentError, "4 predictions, 1 groups"):
        org.app.evaluate_monitoring_window(
            actor="mon",
            monitor_id=monitor_id,
            start=START,
            end=END,
            predictions=PREDICTIONS,
            groups=["young"],
        )
