"""Finding 8: the domain's Policy enforces its own invariants, whatever the client.

The JSON Schema (``adapters/policy_validation.py``) is only a first pass for the CLI; these
tests go straight to the application, as any other client would, and to ``Policy``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from adapters.policy_validation import PolicyDocumentError, validate_policy_document
from domain.aggregates.policy_history import PolicyHistory
from domain.errors import GateError, InvalidArgumentError, InvalidStateError
from domain.rules.policy import Policy, default_policy_document, policy_digest
from tests.unit.fakes import NewOrganisation, Organisation, refused


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


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


BROKEN: list[tuple[dict[str, Any], str]] = [
    (changed("approvals.high", 0), r"approvals.high: 0 .*at least 1"),
    (changed("approvals.low", -1), r"approvals.low: -1 .*at least 1"),
    (changed("approvals.medium", True), r"approvals.medium: True is not an integer"),
    (changed("approvals.high", 1.5), r"approvals.high: 1.5 is not an integer"),
    (changed("approvals.low", 3), r"approvals.low: 3 is more than approvals.medium"),
    (changed("monitoring.psi_warn", 0.3), r"monitoring.psi_warn: 0.3 is not below .*psi_drift"),
    (changed("monitoring.psi_warn", 0.25), r"monitoring.psi_warn: 0.25 is not below"),
    (changed("monitoring.ks_p_value", math.nan), r"monitoring.ks_p_value: nan is not a finite"),
    (changed("monitoring.disparate_impact_min", 0), r"disparate_impact_min: 0 is outside"),
    (changed("monitoring.quality_ratio_min", "0.8"), r"quality_ratio_min: '0.8' is not a num"),
    (removed("approvals.high"), r"approvals: the member 'high' is missing"),
    (removed("monitoring"), r"policy: the member 'monitoring' is missing"),
    (changed("gates", []), r"gates: \[\] is not an object"),
    (changed("owner", "x"), r"policy: the member 'owner' is not a policy member"),
    (changed("version", ""), r"version: '' is not a non-empty name"),
    (changed("version", "\ud800"), r"version: .* is not a non-empty name"),
    (
        changed("gates.prod.requires_approval_of_artifact", False),
        r"gates.prod.requires_approval_of_artifact: .*may not be switched off",
    ),
    (
        changed("gates.prod.requires_passed_validation", False),
        r"gates.prod.requires_passed_validation: .*may not be switched off",
    ),
    (
        changed("gates.prod.blocking_finding_severities", ["high"]),
        r"blocking_finding_severities: .*'critical' must block too",
    ),
    (
        changed("gates.prod.blocking_finding_severities", ["high", "severe"]),
        r"blocking_finding_severities: 'severe' is not one of",
    ),
    (
        changed("gates.prod.blocking_finding_severities", ["high", "critical", "high"]),
        r"blocking_finding_severities: 'high' is listed twice",
    ),
]


@pytest.mark.parametrize(("document", "message"), BROKEN)
def test_finding_8_the_domain_policy_refuses_a_document_that_breaks_an_invariant(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        Policy.from_document(document)


@pytest.mark.parametrize(("document", "message"), BROKEN)
def test_finding_8_and_10_set_policy_refuses_and_records_a_broken_document(
    org: Organisation, document: dict[str, Any], message: str
) -> None:
    """Finding 10: a malformed policy was a raw KeyError, and nothing was recorded."""
    with refused(org.app, InvalidArgumentError, message):
        org.app.set_policy(actor="root", document=document)

    assert org.app.current_policy().version == "default-1"


def test_finding_8_a_policy_without_high_risk_approvers_cannot_let_a_version_reach_prod(
    org: Organisation,
) -> None:
    with refused(org.app, InvalidArgumentError, "approvals.high"):
        org.app.set_policy(actor="root", document=changed("approvals.high", 0))
    version_id = org.train(org.register_model(risk_tier="high"))
    org.validate(version_id)

    with refused(org.app, GateError, "prod needs 2 distinct approver"):
        org.deploy(version_id, "prod")


def test_finding_8_every_problem_of_a_document_is_named_at_once() -> None:
    document = changed("approvals.high", 0)
    document["monitoring"]["psi_drift"] = "high"

    with pytest.raises(InvalidArgumentError) as refusal:
        Policy.from_document(document)

    assert "approvals.high" in str(refusal.value)
    assert "monitoring.psi_drift" in str(refusal.value)


def test_finding_8_the_schema_adapter_also_applies_the_domain_invariants() -> None:
    """Inverted approvals pass the JSON Schema; the adapter still refuses them, from the domain."""
    with pytest.raises(PolicyDocumentError, match=r"approvals\.low: 3 is more than"):
        validate_policy_document(changed("approvals.low", 3))


def test_finding_10_numbers_of_the_policy_keep_their_types() -> None:
    """A stored policy may spell 1.0 as 1; the thresholds are still floats, approvals ints."""
    document = changed("monitoring.dataset_drift_share", 1)

    policy = Policy.from_document(document)

    assert isinstance(policy.monitoring.dataset_drift_share, float)
    assert all(type(count) is int for count in policy.approvals.values())


def test_a_valid_stricter_policy_is_put_in_force(org: Organisation) -> None:
    document = changed("approvals.medium", 2)
    document["gates"]["prod"]["blocking_finding_severities"] = ["medium", "high", "critical"]

    policy = org.app.set_policy(actor="root", document=document)

    assert org.app.current_policy() == policy
    assert policy.approvers_needed("medium") == 2


def test_finding_8_a_broken_policy_recorded_before_the_invariants_fails_closed(
    org: Organisation,
) -> None:
    """A ledger may hold a policy set before the domain checked it: prod refuses, not opens."""
    history = PolicyHistory(actor="root")
    document = changed("approvals.high", 0)
    history.set_policy(
        policy_version="old", digest=policy_digest(document), document=document, actor="root"
    )
    org.app.save(history)
    version_id = org.train(org.register_model(risk_tier="high"))
    org.validate(version_id)

    with refused(org.app, InvalidStateError, "the policy in force breaks the policy invariants"):
        org.deploy(version_id, "prod")
