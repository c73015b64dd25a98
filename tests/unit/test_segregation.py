"""Segregation of duties (docs/events.md, "Policies"), enforced by the domain."""

from __future__ import annotations

import pytest

from domain.errors import GateError, SegregationOfDutiesError
from domain.rules.policy import default_policy_document
from tests.unit.fakes import NewOrganisation, Organisation, refused


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


def test_a_developer_may_not_validate_the_version_they_trained(org: Organisation) -> None:
    version_id = org.train(org.register_model(), actor="max")

    with refused(org.app, SegregationOfDutiesError, "'max' developed version 1 and may not"):
        org.app.start_validation(actor="max", version_id=version_id)

    assert org.app.get_model_version(version_id).status == "trained"


def test_a_developer_may_not_approve_the_version_they_trained(org: Organisation) -> None:
    version_id = org.train(org.register_model(), actor="max")
    org.validate(version_id)

    with refused(org.app, SegregationOfDutiesError, "'max' developed version 1"):
        org.approve(version_id, "max")


def test_a_validator_may_not_approve_the_version_they_validated(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id, validator="max")

    with refused(org.app, SegregationOfDutiesError, "'max' validated version 1"):
        org.approve(version_id, "max")


def test_a_developer_may_not_reject_the_version_they_trained(org: Organisation) -> None:
    version_id = org.train(org.register_model(), actor="max")
    org.validate(version_id)

    with refused(org.app, SegregationOfDutiesError, "may not approve or reject it"):
        org.reject(version_id, "max")


def test_a_developer_may_not_accept_the_risk_of_a_finding_on_their_version(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model(), actor="max")
    finding_id = org.raise_finding(version_id)

    with refused(org.app, SegregationOfDutiesError, "may not accept the risk"):
        org.app.accept_risk(**org.accept_risk_arguments("max", finding_id))

    assert org.app.get_finding(finding_id).is_open


def test_a_high_risk_model_needs_two_distinct_approvers_before_prod(org: Organisation) -> None:
    version_id = org.train(org.register_model(risk_tier="high"))
    org.validate(version_id)
    org.approve(version_id, "ann")

    with refused(org.app, GateError, "needs 2 distinct approver"):
        org.deploy(version_id, "prod")
    org.approve(version_id, "abe")
    org.deploy(version_id, "prod")

    assert org.app.get_model_version(version_id).environments == {"prod"}


def test_the_same_approver_twice_counts_once(org: Organisation) -> None:
    version_id = org.train(org.register_model(risk_tier="high"))
    org.validate(version_id)
    org.approve(version_id, "ann", "ann")

    with refused(org.app, GateError, "it has 1"):
        org.deploy(version_id, "prod")


def test_a_low_risk_model_needs_one_approver(org: Organisation) -> None:
    version_id = org.train(org.register_model(risk_tier="low"))
    org.validate(version_id)
    org.approve(version_id, "ann")

    org.deploy(version_id, "prod")

    assert org.app.get_model_version(version_id).status == "deployed"


def test_the_number_of_approvers_comes_from_the_policy_in_force(org: Organisation) -> None:
    document = default_policy_document()
    document.update(version="strict-2", approvals={"low": 2, "medium": 2, "high": 3})
    org.app.set_policy(actor="root", document=document)
    version_id = org.train(org.register_model(risk_tier="low"))
    org.validate(version_id)
    org.approve(version_id, "ann")

    with refused(org.app, GateError, "needs 2 distinct approver"):
        org.deploy(version_id, "prod")
