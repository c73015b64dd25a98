"""Finding 9: one public key belongs to one principal, the service's own keys are never personal
keys, and a decision is signed after what it decides on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.application import GovernanceApplication
from domain.errors import DuplicateError, InvalidArgumentError, SignatureError
from domain.rules.roles import Role
from tests.unit.fakes import (
    EVIDENCE,
    FakeClock,
    HmacSignatureVerifier,
    NewOrganisation,
    Organisation,
    fake_key,
    refused,
)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


@pytest.fixture
def validated(org: Organisation) -> UUID:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    return version_id


def test_finding_9_a_key_registered_to_one_principal_is_refused_for_another(
    org: Organisation,
) -> None:
    with refused(org.app, DuplicateError, r"key .* is already registered to 'ann'"):
        org.app.register_key(actor="root", name="abe", public_key_pem=org.keys["ann"])

    assert org.keyid("ann") not in org.app.get_principal("abe").keys


def test_finding_9_a_revoked_key_stays_its_principal_s(org: Organisation) -> None:
    org.app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))

    with refused(org.app, DuplicateError, "already registered to 'ann'"):
        org.app.register_key(actor="root", name="abe", public_key_pem=org.keys["ann"])


def test_finding_9_one_person_cannot_be_two_approvers_with_one_key(
    org: Organisation, validated: UUID
) -> None:
    """The attack: abe registers ann's key, then signs a second approval with it."""
    with refused(org.app, DuplicateError, "already registered to 'ann'"):
        org.app.register_key(actor="root", name="abe", public_key_pem=org.keys["ann"])
    org.approve(validated, "ann")
    statement = org.statement(
        "abe",
        "approve",
        validated,
        outcome="granted",
        artifact_digest=org.app.get_model_version(validated).artifact_digest,
    )
    forged = org.decision("abe", validated) | org.signed("ann", statement)

    with refused(org.app, SignatureError, "has no registered key"):
        org.app.grant_approval(**forged)


SERVICE_KEY = fake_key("govledger-event-signer")


@pytest.fixture
def service_app(governance_env: Mapping[str, str]) -> Iterator[GovernanceApplication]:
    """An application told the key ids of the service's own keys, as the composition root does."""
    verifier = HmacSignatureVerifier()
    application = GovernanceApplication(
        env=governance_env,
        signatures=verifier,
        clock=FakeClock(),
        service_keyids=lambda: {verifier.keyid(SERVICE_KEY)},
    )
    application.bootstrap_admin("root")
    application.register_principal(actor="root", name="ann", roles=[Role.APPROVER])
    yield application
    application.close()


def test_finding_9_the_service_s_own_key_is_never_a_personal_key(
    service_app: GovernanceApplication,
) -> None:
    with refused(service_app, InvalidArgumentError, "is a key of the ledger service itself"):
        service_app.register_key(actor="root", name="ann", public_key_pem=SERVICE_KEY)

    assert service_app.get_principal("ann").keys == {}


def signed_at(
    org: Organisation, actor: str, action: str, subject: UUID, *, when: str, outcome: str
) -> dict[str, Any]:
    """The signature arguments of ``actor``'s statement about ``subject``, dated ``when``."""
    version = (
        org.app.get_model_version(subject)
        if action != "accept_risk"
        else org.app.get_model_version(org.app.get_finding(subject).model_version_id)
    )
    statement = org.statement(
        actor, action, subject, outcome=outcome, artifact_digest=version.artifact_digest
    )
    return org.signed(actor, replace(statement, signed_at=when))


def earlier(moment: datetime) -> str:
    return (moment - timedelta(seconds=1)).isoformat()


def test_finding_9_an_approval_dated_1970_is_refused(org: Organisation, validated: UUID) -> None:
    decision = org.decision("ann", validated) | signed_at(
        org, "ann", "approve", validated, when="1970-01-01T00:00:00Z", outcome="granted"
    )

    with refused(org.app, SignatureError, "before the version was trained"):
        org.app.grant_approval(**decision)
    assert org.app.get_model_version(validated).decisions == []


def test_finding_9_an_approval_signed_before_the_validation_was_concluded_is_refused(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    org.clock.advance(timedelta(minutes=10))
    org.validate(version_id)
    concluded = org.app.get_model_version(version_id).validation_signed
    assert concluded is not None
    when = earlier(datetime.fromisoformat(concluded.signed_at))
    decision = org.decision("ann", version_id) | signed_at(
        org, "ann", "approve", version_id, when=when, outcome="granted"
    )

    with refused(org.app, SignatureError, "before the validation conclusion was signed"):
        org.app.grant_approval(**decision)


def test_finding_9_a_rejection_signed_before_the_version_was_trained_is_refused(
    org: Organisation, validated: UUID
) -> None:
    when = earlier(org.app.get_model_version(validated).created_on)
    decision = org.decision("ann", validated, granted=False) | signed_at(
        org, "ann", "reject", validated, when=when, outcome="rejected"
    )

    with refused(org.app, SignatureError, "before the version was trained"):
        org.app.reject_approval(**decision)


def test_finding_9_a_validation_concluded_before_the_version_was_trained_is_refused(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    org.app.start_validation(actor="vera", version_id=version_id)
    when = earlier(org.app.get_model_version(version_id).created_on)

    with refused(org.app, SignatureError, "before the version was trained"):
        org.app.conclude_validation(
            actor="vera",
            version_id=version_id,
            outcome="passed",
            evidence_digests=EVIDENCE,
            **signed_at(
                org, "vera", "conclude_validation", version_id, when=when, outcome="passed"
            ),
        )

    assert org.app.get_model_version(version_id).status == "in_validation"


def test_finding_9_a_risk_accepted_before_the_finding_was_raised_is_refused(
    org: Organisation, validated: UUID
) -> None:
    finding_id = org.raise_finding(validated)
    when = earlier(org.app.get_finding(finding_id).created_on)
    arguments = org.accept_risk_arguments("ann", finding_id) | signed_at(
        org, "ann", "accept_risk", finding_id, when=when, outcome="accepted"
    )

    with refused(org.app, SignatureError, "before the finding was raised"):
        org.app.accept_risk(**arguments)


def test_a_decision_signed_in_the_same_second_as_its_subject_is_accepted(
    org: Organisation, validated: UUID
) -> None:
    """`govledger sign` writes whole seconds; the version was recorded within that second."""
    version = org.app.get_model_version(validated)
    concluded = version.validation_signed
    assert concluded is not None
    latest = max(version.created_on, datetime.fromisoformat(concluded.signed_at))
    when = latest.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

    org.app.grant_approval(
        **org.decision("ann", validated)
        | signed_at(org, "ann", "approve", validated, when=when, outcome="granted")
    )

    assert [d.approver for d in org.app.get_model_version(validated).decisions] == ["ann"]


def test_decisions_signed_after_what_they_decide_on_are_accepted(
    org: Organisation, validated: UUID
) -> None:
    org.approve(validated)
    finding_id = org.raise_finding(validated)
    org.app.accept_risk(**org.accept_risk_arguments("ann", finding_id))

    assert org.app.get_model_version(validated).status == "approved"
    assert org.app.get_finding(finding_id).is_open is False
