"""The approver's signed decisions on one artifact of a model version: grant, reject, revoke.

Each carries the approver's personal signature over the decision's statement (action
``approve``/``reject``/``revoke_approval``, subject the version id, outcome
``granted``/``rejected``/``revoked``), fetched from ``POST /v1/statements`` and signed on the
approver's own machine: the server never holds a person's private key.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.registry.fields import (
    Digest,
    Digests,
    Done,
    KeyId,
    SignatureBase64,
    SignedAt,
    Text,
    signature_bytes,
)
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request
from domain.rules.roles import Command

__all__ = ["SPECS", "ApprovalGrant", "ApprovalRejection", "ApprovalRevocation"]


class ApprovalDecision(Request):
    """A signed decision on one artifact of a model version."""

    version_id: UUID = Field(description="the model version decided on")
    artifact_digest: Digest = Field(description="the artifact decided on: the version's own")
    evidence_digests: Digests
    signature: SignatureBase64
    keyid: KeyId
    signed_at: SignedAt


class ApprovalGrant(ApprovalDecision):
    """An approver approves the artifact (statement action ``approve``, outcome ``granted``)."""


class ApprovalRejection(ApprovalDecision):
    """An approver rejects the version for good (action ``reject``, outcome ``rejected``)."""


class ApprovalRevocation(ApprovalDecision):
    """The approver whose approval stands revokes it (action ``revoke_approval``, outcome
    ``revoked``); it stops counting toward the prod gate."""

    reason: Text = Field(description="why the approval is revoked")


def _grant(context: CommandContext, actor: str, request: ApprovalGrant) -> Done:
    context.application.grant_approval(
        actor=actor,
        version_id=request.version_id,
        artifact_digest=request.artifact_digest,
        evidence_digests=request.evidence_digests,
        signature=signature_bytes(request.signature),
        keyid=request.keyid,
        signed_at=request.signed_at,
    )
    return Done()


def _reject(context: CommandContext, actor: str, request: ApprovalRejection) -> Done:
    context.application.reject_approval(
        actor=actor,
        version_id=request.version_id,
        artifact_digest=request.artifact_digest,
        evidence_digests=request.evidence_digests,
        signature=signature_bytes(request.signature),
        keyid=request.keyid,
        signed_at=request.signed_at,
    )
    return Done()


def _revoke(context: CommandContext, actor: str, request: ApprovalRevocation) -> Done:
    context.application.revoke_approval(
        actor=actor,
        version_id=request.version_id,
        artifact_digest=request.artifact_digest,
        reason=request.reason,
        evidence_digests=request.evidence_digests,
        signature=signature_bytes(request.signature),
        keyid=request.keyid,
        signed_at=request.signed_at,
    )
    return Done()


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="grant-approval",
        command=Command.GRANT_APPROVAL,
        resource="approvals",
        path="/approvals",
        request=ApprovalGrant,
        response=Done,
        run=_grant,
        summary="Approve one artifact of a model version, signed with the approver's key",
    ),
    CommandSpec(
        name="reject-approval",
        command=Command.REJECT_APPROVAL,
        resource="approvals",
        path="/approvals/reject",
        request=ApprovalRejection,
        response=Done,
        run=_reject,
        summary="Reject a model version for good, signed with the approver's key",
    ),
    CommandSpec(
        name="revoke-approval",
        command=Command.REVOKE_APPROVAL,
        resource="approvals",
        path="/approvals/revoke",
        request=ApprovalRevocation,
        response=Done,
        run=_revoke,
        summary="Revoke one's own standing approval, signed, saying why",
    ),
)
