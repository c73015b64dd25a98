"""The policy's newer members: optional, defaulted, and held to their invariants."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.policy_validation import PolicyDocumentError, validate_policy_document
from domain.aggregates.monitor import check_threshold_overrides
from domain.errors import InvalidArgumentError
from domain.rules.policy import (
    MonitoringThresholds,
    Policy,
    UatThresholds,
    ValidationThresholds,
    default_policy_document,
)


def with_members(**sections: dict[str, Any]) -> dict[str, Any]:
    document = default_policy_document()
    for path, members in sections.items():
        node = document
        for part in path.split("__"):
            node = node.setdefault(part, {})
        node.update(members)
    return document


def test_absent_sections_take_their_defaults() -> None:
    policy = Policy.from_document(default_policy_document())

    assert policy.validation == ValidationThresholds(0.7, 0.8, 0.2, 0.5)
    assert policy.uat == UatThresholds(0, 50.0, 200.0)
    assert not policy.prod_requires_uat_evidence
    assert (policy.monitoring.expected_cost_max, policy.monitoring.retrain_on_breach) == (
        0.7,
        False,
    )
    assert (policy.monitoring.approval_rate_min, policy.monitoring.approval_rate_max) == (0.3, 0.95)


def test_present_members_are_read_with_their_types() -> None:
    document = with_members(
        validation={"auc_roc_min": 0.75},
        uat__integration={"max_mismatches": 3},
        uat__performance={"p99_ms_max": 20, "throughput_min_per_s": 1000},
        monitoring={"retrain_on_breach": True, "expected_cost_max": 1},
        gates__prod={"requires_uat_evidence": True},
    )

    policy = validate_policy_document(document)

    assert policy.validation.auc_roc_min == 0.75
    assert policy.uat == UatThresholds(3, 20.0, 1000.0)
    assert policy.monitoring.retrain_on_breach is True
    assert policy.monitoring.expected_cost_max == 1.0
    assert policy.prod_requires_uat_evidence
    assert policy.monitoring != MonitoringThresholds()


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            with_members(validation={"auc_roc_min": 1.5}),
            "validation.auc_roc_min: 1.5 is outside [0, 1]",
        ),
        (
            with_members(validation={"f1_min": 0.5}),
            "validation: the member 'f1_min' is not a policy member",
        ),
        (
            with_members(uat__integration={"max_mismatches": 0.5}),
            "uat.integration.max_mismatches: 0.5 is not a whole",
        ),
        (
            with_members(uat__performance={"p99_ms_max": 0}),
            "uat.performance.p99_ms_max: 0 is outside (0,",
        ),
        (with_members(uat={"security": {}}), "uat: the member 'security' is not a policy member"),
        (
            with_members(monitoring={"retrain_on_breach": "yes"}),
            "monitoring.retrain_on_breach: 'yes' is not true or false",
        ),
        (
            with_members(monitoring={"approval_rate_min": 0.9, "approval_rate_max": 0.5}),
            "approval_rate_min: 0.9 is above monitoring.approval_rate_max",
        ),
        (
            with_members(monitoring={"expected_cost_max": 6}),
            "monitoring.expected_cost_max: 6 is outside",
        ),
        (
            with_members(gates__prod={"requires_uat_evidence": 1}),
            "gates.prod.requires_uat_evidence: 1 is not true",
        ),
    ],
)
def test_the_domain_refuses_a_member_that_breaks_an_invariant(
    document: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidArgumentError) as refusal:
        Policy.from_document(document)
    assert problem in str(refusal.value)


@pytest.mark.parametrize(
    "document",
    [
        with_members(validation={"auc_roc_min": -0.1}),
        with_members(uat__integration={"max_mismatches": -1}),
        with_members(monitoring={"approval_rate_max": 0}),
        with_members(monitoring={"retrain_on_breach": 1}),
        with_members(gates__prod={"requires_uat_evidence": "no"}),
    ],
)
def test_the_schema_refuses_them_too(document: dict[str, Any]) -> None:
    with pytest.raises(PolicyDocumentError):
        validate_policy_document(document)


def test_a_monitor_may_not_override_the_retraining_flag() -> None:
    with pytest.raises(InvalidArgumentError, match="not among"):
        check_threshold_overrides({"retrain_on_breach": 1.0}, MonitoringThresholds())
