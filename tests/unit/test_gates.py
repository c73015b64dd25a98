"""Promotion gates (docs/events.md, "Lifecycle"): what each environment needs of a version."""

from __future__ import annotations

import pytest

from domain.errors import GateError, InvalidStateError
from domain.rules.policy import default_policy_document
from tests.unit.fakes import (
    EVIDENCE,
    OTHER_ARTIFACT,
    NewOrganisation,
    Organisation,
    refused,
)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


def test_dev_needs_nothing_but_a_trained_version(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    org.deploy(version_id, "dev")

    assert org.app.get_model_version(version_id).environments == {"dev"}


def test_uat_needs_a_passed_validation(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, GateError, "uat needs a passed validation; version 1 is trained"):
        org.deploy(version_id, "uat")


def test_uat_refuses_a_failed_validation(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id, outcome="failed")

    with refused(org.app, GateError, "is validation_failed"):
        org.deploy(version_id, "uat")


def test_uat_accepts_a_passed_validation(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)

    org.deploy(version_id, "uat")

    assert org.app.get_model_version(version_id).environments == {"uat"}


def test_prod_needs_an_approval(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)

    with refused(org.app, GateError, "it has 0"):
        org.deploy(version_id, "prod")


def test_prod_refuses_an_artifact_other_than_the_approved_one(org: Organisation) -> None:
    version_id = org.released()

    with refused(org.app, GateError, "is not the artifact of version 1"):
        org.deploy(version_id, "prod", artifact=OTHER_ARTIFACT)


def test_a_new_artifact_needs_a_new_approval(org: Organisation) -> None:
    approved = org.released()
    model_id = org.app.get_model_version(approved).model_id
    retrained = org.train(model_id, artifact=OTHER_ARTIFACT, derived_from=approved)
    org.validate(retrained)

    with refused(org.app, GateError, f"approver\\(s\\) of {OTHER_ARTIFACT}"):
        org.deploy(retrained, "prod")
    org.approve(retrained)
    org.deploy(retrained, "prod")


def test_an_approval_binds_the_artifact_of_its_version(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    decision = org.decision("ann", version_id) | {"artifact_digest": OTHER_ARTIFACT}

    with refused(org.app, InvalidStateError, "is not the artifact of version 1"):
        org.app.grant_approval(**decision)


def test_prod_is_blocked_by_an_open_high_finding(org: Organisation) -> None:
    version_id = org.released()
    org.raise_finding(version_id, severity="high")

    with refused(org.app, GateError, "blocked by open finding\\(s\\) 'bias' \\(high\\)"):
        org.deploy(version_id, "prod")


def test_prod_is_blocked_by_an_open_critical_finding(org: Organisation) -> None:
    version_id = org.released()
    org.raise_finding(version_id, severity="critical")

    with refused(org.app, GateError, "critical"):
        org.deploy(version_id, "prod")


def test_prod_is_not_blocked_by_an_open_medium_finding(org: Organisation) -> None:
    version_id = org.released()
    org.raise_finding(version_id, severity="medium")

    org.deploy(version_id, "prod")


def test_prod_accepts_a_high_finding_whose_risk_an_approver_accepted(org: Organisation) -> None:
    version_id = org.released()
    finding_id = org.raise_finding(version_id)

    org.app.accept_risk(**org.accept_risk_arguments("ann", finding_id))
    org.deploy(version_id, "prod")

    assert org.app.get_finding(finding_id).status == "risk_accepted"


def test_prod_accepts_a_high_finding_once_remediated_and_closed(org: Organisation) -> None:
    version_id = org.released()
    finding_id = org.raise_finding(version_id)
    org.app.assign_finding(actor="olga", finding_id=finding_id, assignee="dev")
    org.app.remediate_finding(
        actor="dev", finding_id=finding_id, description="reweighed", evidence_digests=EVIDENCE
    )

    with refused(org.app, GateError, "blocked by open finding"):
        org.deploy(version_id, "prod")
    org.app.close_finding(actor="vera", finding_id=finding_id)
    org.deploy(version_id, "prod")


def test_the_blocking_severities_come_from_the_policy(org: Organisation) -> None:
    document = default_policy_document()
    document["gates"]["prod"]["blocking_finding_severities"] = ["medium", "high", "critical"]
    org.app.set_policy(actor="root", document=document)
    version_id = org.released()
    org.raise_finding(version_id, severity="medium")

    with refused(org.app, GateError, "'bias' \\(medium\\)"):
        org.deploy(version_id, "prod")


def test_a_refused_promotion_leaves_the_version_where_it_was(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.deploy(version_id, "dev")
    version_before = org.app.get_model_version(version_id).version

    with refused(org.app, GateError, "prod needs a passed validation"):
        org.deploy(version_id, "prod")

    version = org.app.get_model_version(version_id)
    assert (version.version, version.environments) == (version_before, {"dev"})
