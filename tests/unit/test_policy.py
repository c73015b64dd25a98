"""The policy document: its JSON Schema, the rules between fields, and its digest."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import rfc8785
from jsonschema import Draft202012Validator

from adapters.policy_validation import (
    PolicyDocumentError,
    policy_schema,
    validate_policy_document,
)
from domain.rules.policy import (
    MonitoringThresholds,
    Policy,
    canonical_policy_bytes,
    default_policy_document,
    policy_digest,
)


def changed(path: str, value: object) -> dict[str, Any]:
    """The default document with the value at a dotted path replaced."""
    document = default_policy_document()
    *parents, last = path.split(".")
    node = document
    for part in parents:
        node = node[part]
    node[last] = value
    return document


def removed(path: str) -> dict[str, Any]:
    """The default document without the member at a dotted path."""
    document = default_policy_document()
    *parents, last = path.split(".")
    node = document
    for part in parents:
        node = node[part]
    del node[last]
    return document


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(policy_schema())


def test_the_schema_refuses_unknown_members_at_every_level() -> None:
    def objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
        found = [schema] if schema.get("type") == "object" else []
        for child in schema.get("properties", {}).values():
            found.extend(objects(child))
        return found

    assert all(node["additionalProperties"] is False for node in objects(policy_schema()))


def test_the_default_document_validates_to_the_default_policy() -> None:
    policy = validate_policy_document(default_policy_document())

    assert policy == Policy.from_document(default_policy_document())
    assert policy.version == "default-1"
    assert policy.approvers_needed("high") == 2
    assert policy.blocking_finding_severities == {"high", "critical"}
    assert policy.monitoring == MonitoringThresholds()


def test_a_stricter_policy_validates() -> None:
    document = changed("approvals.medium", 2)
    document["gates"]["prod"]["blocking_finding_severities"] = ["medium", "high", "critical"]

    policy = validate_policy_document(document)

    assert policy.approvers_needed("medium") == 2
    assert policy.blocking_finding_severities == {"medium", "high", "critical"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (changed("approvals.high", 0), "approvals.high: 0 is less than the minimum of 1"),
        (changed("approvals.low", 1.5), "approvals.low: 1.5 is not of type 'integer'"),
        (changed("approvals.medium", True), "approvals.medium: True is not of type 'integer'"),
        (removed("approvals.high"), "approvals: 'high' is a required property"),
        (changed("approvals.critical", 3), r"approvals: Additional properties .*'critical'"),
        (changed("version", ""), "version: '' should be non-empty"),
        (changed("version", 2), "version: 2 is not of type 'string'"),
        (removed("version"), "policy: 'version' is a required property"),
        (changed("owner", "x"), r"policy: Additional properties .*'owner' was unexpected"),
        (
            changed("gates.uat.requires_passed_validation", "yes"),
            "gates.uat.requires_passed_validation: 'yes' is not of type 'boolean'",
        ),
        (changed("gates.dev", {}), r"gates: Additional properties .*'dev'"),
        (
            changed("gates.prod.blocking_finding_severities", ["high", "severe"]),
            r"gates.prod.blocking_finding_severities\[1\]: 'severe' is not one of",
        ),
        (
            changed("gates.prod.blocking_finding_severities", ["high", "high"]),
            "gates.prod.blocking_finding_severities: .* has non-unique elements",
        ),
        (
            changed("monitoring.disparate_impact_min", 0),
            "monitoring.disparate_impact_min: 0 is less than or equal to the minimum of 0",
        ),
        (
            changed("monitoring.disparate_impact_min", 1.2),
            "monitoring.disparate_impact_min: 1.2 is greater than the maximum of 1",
        ),
        (
            changed("monitoring.quality_ratio_min", "0.8"),
            "monitoring.quality_ratio_min: '0.8' is not of type 'number'",
        ),
        (changed("monitoring.psi_warn", -0.1), "monitoring.psi_warn: -0.1 is less than or equal"),
        (changed("monitoring.ks_p_value", 0.9), "monitoring.ks_p_value: 0.9 is greater than"),
        (
            changed("monitoring.dataset_drift_share", 0),
            "monitoring.dataset_drift_share: 0 is less than or equal",
        ),
        (removed("monitoring.psi_drift"), "monitoring: 'psi_drift' is a required property"),
        (changed("monitoring.latency_ms", 5), r"monitoring: Additional properties .*'latency_ms'"),
    ],
)
def test_a_document_breaking_the_schema_is_refused_naming_the_path(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyDocumentError, match=message):
        validate_policy_document(document)


def test_a_refusal_says_what_the_value_should_be() -> None:
    with pytest.raises(PolicyDocumentError) as refused:
        validate_policy_document(changed("approvals.high", 0))

    assert refused.value.problems == (
        "approvals.high: 0 is less than the minimum of 1 "
        "(expected: a number of distinct approvers, at least 1)",
    )


def test_every_problem_of_a_document_is_reported_in_path_order() -> None:
    document = changed("approvals.high", 0)
    document["monitoring"]["psi_drift"] = "high"

    with pytest.raises(PolicyDocumentError) as refused:
        validate_policy_document(document)

    assert [problem.split(":")[0] for problem in refused.value.problems] == [
        "approvals.high",
        "monitoring.psi_drift",
    ]


@pytest.mark.parametrize(("warn", "drift"), [(0.25, 0.25), (0.3, 0.25)])
def test_a_psi_warning_level_not_below_the_drift_level_is_refused(
    warn: float, drift: float
) -> None:
    document = changed("monitoring.psi_warn", warn)
    document["monitoring"]["psi_drift"] = drift

    with pytest.raises(
        PolicyDocumentError, match=f"monitoring.psi_warn: {warn} is not below monitoring.psi_drift"
    ):
        validate_policy_document(document)


def test_the_digest_is_stable_and_independent_of_member_order() -> None:
    document = default_policy_document()
    reordered = dict(reversed(list(document.items())))

    assert policy_digest(document) == policy_digest(default_policy_document())
    assert policy_digest(reordered) == policy_digest(document)
    assert policy_digest(document).startswith("sha256:")


def test_the_digest_changes_with_the_content() -> None:
    assert policy_digest(changed("approvals.high", 3)) != policy_digest(default_policy_document())
    assert policy_digest(changed("monitoring.psi_warn", 0.11)) != policy_digest(
        default_policy_document()
    )


def test_the_policy_carries_the_digest_of_its_document() -> None:
    document = changed("version", "2025-06")

    assert validate_policy_document(document).digest == policy_digest(document)


@pytest.mark.parametrize(
    "value",
    [0.1, 1e-7, 1e21, 1e20, 2.0, -0.0, 5e-324, 1.7976931348623157e308, 333333333.3333333, 1e16],
)
def test_the_canonical_form_writes_numbers_as_rfc_8785_does(value: float) -> None:
    document = {"monitoring": {"psi_warn": value}, "n": 7, "z": [True, None, "é\n"]}

    assert canonical_policy_bytes(document) == rfc8785.dumps(document)
    assert (
        policy_digest(document) == "sha256:" + hashlib.sha256(rfc8785.dumps(document)).hexdigest()
    )


def test_the_canonical_form_sorts_names_by_utf_16_code_units() -> None:
    document = {"\U0001f600": 1, "\ue000": 2, "a": 3}

    assert canonical_policy_bytes(document) == rfc8785.dumps(document)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**53, b"bytes", {1: "x"}])
def test_what_json_cannot_hold_has_no_canonical_form(value: object) -> None:
    with pytest.raises(ValueError, match=r"JSON|safe range|key 1 is not a string"):
        canonical_policy_bytes({"x": value})
