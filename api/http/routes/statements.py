"""Routes: ``POST /v1/statements``, the canonical statement of a decision, for its signer.

The server never holds a person's private key. A validator or approver posts the fields of the
decision they are about to make; the answer is the canonical statement bytes
(``domain.rules.statements.Statement.canonical_bytes``) with the caller as signer, as text and
base64. They sign those bytes on their own machine (``govledger sign`` with the same fields, or
any Ed25519 tool) and submit the base64 signature, their key id and the same ``signed_at`` with
the command (``conclude-validation``, ``grant-approval``, ``reject-approval``,
``revoke-approval``, ``accept-risk``). Nothing is recorded: the statement is computed, not stored.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.http.auth import Caller, require_roles
from api.http.problems import HttpError
from api.registry.fields import Digest, Digests, SignedAt
from domain.rules.roles import Role
from domain.rules.statements import Statement

__all__ = ["OUTCOMES", "StatementAction", "StatementPublic", "StatementRequest", "router"]

router = APIRouter(tags=["statements"])

SIGNERS = frozenset({Role.VALIDATOR, Role.APPROVER})
"""Who signs decisions: the validator concludes, the approver decides and accepts risks."""


class StatementAction(StrEnum):
    """The decisions a person signs (``domain.rules.statements.Statement.action``)."""

    APPROVE = "approve"
    REJECT = "reject"
    REVOKE_APPROVAL = "revoke_approval"
    ACCEPT_RISK = "accept_risk"
    CONCLUDE_VALIDATION = "conclude_validation"


OUTCOMES: dict[StatementAction, tuple[str, ...]] = {
    StatementAction.APPROVE: ("granted",),
    StatementAction.REJECT: ("rejected",),
    StatementAction.REVOKE_APPROVAL: ("revoked",),
    StatementAction.ACCEPT_RISK: ("accepted",),
    StatementAction.CONCLUDE_VALIDATION: ("passed", "failed"),
}
"""The outcomes each action's statement may carry, as the domain writes them."""


class StatementRequest(BaseModel):
    """The fields of a decision to be signed; the signer is the caller."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: StatementAction = Field(description="the decision")
    subject: UUID = Field(
        description="what it is about: the model version, or the finding for accept_risk"
    )
    artifact_digest: Digest = Field(
        description="the artifact decided on: the version's artifact (for accept_risk, the "
        "artifact of the finding's version)"
    )
    evidence_digests: Digests = Field(default_factory=list)
    signed_at: SignedAt | None = Field(
        default=None, description="the RFC 3339 UTC signing time; now (whole seconds) if omitted"
    )
    outcome: str | None = Field(
        default=None,
        description="granted (approve), rejected (reject), revoked (revoke_approval), accepted "
        "(accept_risk), passed or failed (conclude_validation); may be omitted where the action "
        "has only one",
    )


class StatementPublic(BaseModel):
    """The canonical statement to sign and the fields it holds."""

    statement: str = Field(description="the canonical RFC 8785 JSON statement, as UTF-8 text")
    statement_base64: str = Field(description="the same bytes, base64: sign exactly these")
    action: StatementAction
    subject: str
    artifact_digest: str
    evidence_digests: list[str]
    signer: str = Field(description="the caller, who signs")
    signed_at: str = Field(description="hand this same time in with the command")
    outcome: str


def _outcome(request: StatementRequest) -> str:
    """The statement's outcome; 422 if the action cannot have the one asked for."""
    allowed = OUTCOMES[request.action]
    if request.outcome is None and len(allowed) == 1:
        return allowed[0]
    if request.outcome not in allowed:
        raise HttpError(
            422,
            "invalid_request",
            f"outcome: {request.action} takes {' or '.join(allowed)}, not {request.outcome!r}",
        )
    return request.outcome


@router.post(
    "/statements",
    summary="The canonical statement of a decision, for the caller to sign locally",
    response_model=StatementPublic,
)
def statement(
    request: StatementRequest,
    caller: Annotated[Caller, require_roles(SIGNERS, "fetch a decision statement")],
) -> StatementPublic:
    signed_at = request.signed_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    decided = Statement(
        action=request.action.value,
        subject=str(request.subject),
        artifact_digest=request.artifact_digest,
        evidence_digests=tuple(request.evidence_digests),
        signer=caller.name,
        signed_at=signed_at,
        outcome=_outcome(request),
    )
    canonical = decided.canonical_bytes()
    return StatementPublic(
        statement=canonical.decode("utf-8"),
        statement_base64=base64.b64encode(canonical).decode("ascii"),
        action=request.action,
        subject=decided.subject,
        artifact_digest=decided.artifact_digest,
        evidence_digests=list(decided.evidence_digests),
        signer=decided.signer,
        signed_at=decided.signed_at,
        outcome=decided.outcome,
    )
