"""An approver revokes their own approval, signed and with a reason (docs/events.md, "approver").

The revoked approval no longer counts toward the prod gate: a version running in prod keeps
running (rolling back is the deployer's act) but a new deployment to prod needs the approvals
again; the approver may grant again. A revocation by anyone whose approval does not stand, one
without a reason or with a bad signature is refused and recorded. On both stores.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from domain.errors import (
    GateError,
    InvalidArgumentError,
    InvalidStateError,
    NotAuthorizedError,
    SignatureError,
)
from tests.unit.fakes import NewOrganisation, Organisation, refused, sign, topics
from tests.unit.test_refusal_subjects import last_refusal
from tests.unit.test_refusals_whatever_the_cause import attempt_everything


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


@pytest.fixture
def released(org: Organisation) -> UUID:
    """A high-risk version approved by ann and abe: the two approvals prod needs."""
    return org.released()


def last_event(org: Organisation) -> Any:
    (notification,) = org.app.recorder.select_notifications(start=None, limit=10_000)[-1:]
    return org.app.mapper.to_domain_event(notification)


def test_a_revocation_records_the_approver_reason_evidence_and_signature(
    org: Organisation, released: UUID
) -> None:
    arguments = org.revocation("ann", released, reason="the holdout leaked into training")
    org.app.revoke_approval(**arguments)

    event = last_event(org)
    assert type(event).__qualname__ == "ModelVersion.ApprovalRevoked"
    assert (event.actor, event.reason) == ("ann", "the holdout leaked into training")
    assert event.artifact_digest == org.app.get_model_version(released).artifact_digest
    assert event.evidence_digests == arguments["evidence_digests"]
    assert (event.keyid, event.signed_at) == (org.keyid("ann"), arguments["signed_at"])
    assert org.app.get_model_version(released).approvers_of(event.artifact_digest) == {"abe"}


def test_after_a_revocation_prod_is_refused_for_want_of_approvals(
    org: Organisation, released: UUID
) -> None:
    org.revoke(released, "ann")

    with refused(org.app, GateError, r"prod needs 2 distinct approver\(s\) .* it has 1"):
        org.deploy(released, "prod")
    assert org.app.get_model_version(released).environments == set()


def test_a_version_running_in_prod_keeps_running_but_may_not_be_deployed_there_again(
    org: Organisation, released: UUID
) -> None:
    org.deploy(released, "prod")

    org.revoke(released, "abe")

    version = org.app.get_model_version(released)
    assert (version.environments, version.status) == ({"prod"}, "deployed")
    org.app.roll_back(actor="dee", version_id=released, environment="prod")
    with refused(org.app, GateError, "it has 1"):
        org.deploy(released, "prod")


def test_revoking_every_approval_leaves_the_version_validated_not_approved(
    org: Organisation, released: UUID
) -> None:
    org.revoke(released, "ann")
    org.revoke(released, "abe")

    assert org.app.get_model_version(released).status == "validation_passed"


def test_the_approver_may_grant_again_after_revoking(org: Organisation, released: UUID) -> None:
    org.revoke(released, "ann")

    org.approve(released, "ann")
    org.deploy(released, "prod")

    assert org.app.get_model_version(released).environments == {"prod"}


def test_someone_whose_approval_does_not_stand_may_not_revoke_and_is_recorded(
    org: Organisation, released: UUID
) -> None:
    with refused(org.app, InvalidStateError, "'max' has no standing approval"):
        org.app.revoke_approval(**org.revocation("max", released))

    refusal = last_refusal(org)
    assert (refusal.command, refusal.actor, refusal.subject) == (
        "revoke_approval",
        "max",
        str(released),
    )
    assert org.app.get_model_version(released).approvers_of(
        org.app.get_model_version(released).artifact_digest
    ) == {"ann", "abe"}


def test_an_approval_once_revoked_cannot_be_revoked_again(
    org: Organisation, released: UUID
) -> None:
    org.revoke(released, "ann")

    with refused(org.app, InvalidStateError, "'ann' has no standing approval"):
        org.revoke(released, "ann")


def test_only_an_approver_may_revoke(org: Organisation, released: UUID) -> None:
    arguments = org.revocation("ann", released) | {"actor": "dee"}

    with refused(org.app, NotAuthorizedError, "it needs the role approver"):
        org.app.revoke_approval(**arguments)
    assert last_refusal(org).subject == str(released)


def test_a_revocation_needs_a_reason(org: Organisation, released: UUID) -> None:
    with refused(org.app, InvalidArgumentError, "needs a reason"):
        org.app.revoke_approval(**org.revocation("ann", released, reason="  "))


def test_a_revocation_signed_over_another_statement_is_refused(
    org: Organisation, released: UUID
) -> None:
    arguments = org.revocation("ann", released)
    approve_statement = org.statement("ann", "approve", released, outcome="granted")
    forged = arguments | {"signature": sign(org.keys["ann"], approve_statement.canonical_bytes())}

    with refused(org.app, SignatureError, "does not verify over the revoke_approval statement"):
        org.app.revoke_approval(**forged)
    with refused(org.app, SignatureError, "revoke_approval needs 'ann'.s personal signature"):
        org.app.revoke_approval(**arguments | {"signature": b""})
    assert "ann" in org.app.get_model_version(released).approvers_of(arguments["artifact_digest"])


def test_a_revocation_dated_before_the_approval_is_refused(
    org: Organisation, released: UUID
) -> None:
    (granted, *_) = org.app.get_model_version(released).decisions
    earlier = datetime.fromisoformat(granted.signed.signed_at) - timedelta(hours=1)
    statement = dataclasses.replace(
        org.statement(
            "ann",
            "revoke_approval",
            released,
            outcome="revoked",
            artifact_digest=granted.artifact_digest,
        ),
        signed_at=earlier.isoformat(),
    )
    arguments = org.revocation("ann", released) | org.signed("ann", statement)

    with refused(org.app, SignatureError, "before the approval was signed"):
        org.app.revoke_approval(**arguments)


def test_any_argument_of_a_revocation_is_either_accepted_or_a_recorded_refusal(
    org: Organisation, released: UUID
) -> None:
    before = len(topics(org.app))

    assert attempt_everything(org, org.app.revoke_approval, org.revocation("ann", released)) == []
    assert "ApprovalRevoked" not in topics(org.app)[before:]
