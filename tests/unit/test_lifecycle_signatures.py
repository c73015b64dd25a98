"""Personal signatures over decisions: checked against the signer's registered, live key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from uuid import UUID

import pytest

from domain.application import GovernanceApplication
from domain.errors import InvalidStateError, NotConfiguredError, SignatureError
from tests.unit.fakes import (
    EVIDENCE,
    HmacSignatureVerifier,
    NewOrganisation,
    Organisation,
    fake_key,
    refused,
    sign,
    topics,
)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


@pytest.fixture
def validated(org: Organisation) -> UUID:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    return version_id


def test_a_signed_approval_records_the_signature_and_its_key(
    org: Organisation, validated: UUID
) -> None:
    arguments = org.decision("ann", validated)
    org.app.grant_approval(**arguments)

    (decision,) = org.app.get_model_version(validated).decisions
    assert (decision.approver, decision.granted) == ("ann", True)
    assert decision.signed.keyid == org.keyid("ann")
    assert decision.signed.signed_at == arguments["signed_at"]


def test_an_unsigned_approval_is_refused(org: Organisation, validated: UUID) -> None:
    decision = org.decision("ann", validated) | {"signature": b""}

    with refused(org.app, SignatureError, "approve needs 'ann'.s personal signature"):
        org.app.grant_approval(**decision)

    assert org.app.get_model_version(validated).decisions == []


def test_an_approval_signed_over_another_statement_is_refused(
    org: Organisation, validated: UUID
) -> None:
    decision = org.decision("ann", validated) | {"evidence_digests": ["sha256:" + "f" * 64]}

    with refused(org.app, SignatureError, "does not verify over the approve statement"):
        org.app.grant_approval(**decision)


def test_an_approval_signed_with_someone_elses_key_is_refused(
    org: Organisation, validated: UUID
) -> None:
    decision = org.decision("ann", validated)
    forged = decision | {"actor": "abe", "keyid": org.keyid("ann")}

    with refused(org.app, SignatureError, "'abe' has no registered key"):
        org.app.grant_approval(**forged)


def test_an_approval_by_an_unknown_key_is_refused(org: Organisation, validated: UUID) -> None:
    decision = org.decision("ann", validated) | {"keyid": "0" * 64}

    with refused(org.app, SignatureError, "no registered key 0+: an admin must register"):
        org.app.grant_approval(**decision)


def test_an_approval_by_a_revoked_key_is_refused(org: Organisation, validated: UUID) -> None:
    org.app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))

    with refused(org.app, SignatureError, "is revoked: sign with a current key"):
        org.approve(validated, "ann")


def test_a_new_key_signs_after_the_old_one_is_revoked(org: Organisation, validated: UUID) -> None:
    org.app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))
    org.keys["ann"] = fake_key("ann", serial=2)

    org.app.register_key(actor="root", name="ann", public_key_pem=org.keys["ann"])
    org.approve(validated, "ann")


def test_a_revoked_key_cannot_be_registered_again(org: Organisation) -> None:
    org.app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))

    with refused(org.app, InvalidStateError, "is already revoked"):
        org.app.register_key(actor="root", name="ann", public_key_pem=org.keys["ann"])


def test_a_signature_dated_in_the_future_is_refused(org: Organisation, validated: UUID) -> None:
    org.clock.advance(timedelta(hours=1))
    decision = org.decision("ann", validated)
    org.clock.advance(timedelta(hours=-1))

    with refused(org.app, SignatureError, "is in the future"):
        org.app.grant_approval(**decision)


def test_a_signing_time_without_an_offset_is_refused(org: Organisation, validated: UUID) -> None:
    decision = org.decision("ann", validated) | {"signed_at": "2025-01-31T12:00:00"}

    with refused(org.app, SignatureError, "not an RFC 3339 time with an offset"):
        org.app.grant_approval(**decision)


def test_a_validation_conclusion_must_be_signed_by_the_validator(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.app.start_validation(actor="vera", version_id=version_id)
    statement = org.statement("vera", "conclude_validation", version_id, outcome="failed")

    with refused(org.app, SignatureError, "does not verify over the conclude_validation"):
        org.app.conclude_validation(
            actor="vera",
            version_id=version_id,
            outcome="passed",
            evidence_digests=EVIDENCE,
            **org.signed("vera", statement),
        )

    assert org.app.get_model_version(version_id).status == "in_validation"


def test_a_rejection_and_a_risk_acceptance_are_signed_too(
    org: Organisation, validated: UUID
) -> None:
    finding_id = org.raise_finding(validated)
    arguments = org.accept_risk_arguments("ann", finding_id) | {"signature": b"\x00" * 32}

    with refused(org.app, SignatureError, "accept_risk statement"):
        org.app.accept_risk(**arguments)
    with refused(org.app, SignatureError, "no registered key x"):
        org.app.reject_approval(**org.decision("ann", validated, granted=False) | {"keyid": "x"})


def test_without_a_verifier_registering_a_key_is_a_configuration_error_not_recorded(
    governance_env: Mapping[str, str],
) -> None:
    """A missing port is the operator's configuration, not the actor's refusal (Build 5)."""
    app = GovernanceApplication(env=governance_env)
    app.bootstrap_admin("root")
    before = topics(app)

    with pytest.raises(NotConfiguredError, match="none is configured"):
        app.register_key(actor="root", name="root", public_key_pem=fake_key("root"))
    assert topics(app) == before

    app.close()


def test_the_fake_verifier_checks_what_was_signed() -> None:
    key = fake_key("ann")
    verifier = HmacSignatureVerifier()

    assert verifier.verify(key, sign(key, b"statement"), b"statement")
    assert not verifier.verify(key, sign(key, b"statement"), b"another statement")
    assert not verifier.verify(fake_key("abe"), sign(key, b"statement"), b"statement")
