"""Commands on findings: raise, assign, remediate, accept the risk (signed), close.

Accepting a finding's risk carries the approver's personal signature over the ``accept_risk``
statement: subject the finding id, artifact the digest of the version's artifact, outcome
``accepted``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import Field

from api.registry.fields import (
    Created,
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
from domain.rules.vocabulary import FindingSource, Severity

__all__ = [
    "SPECS",
    "FindingAssignment",
    "FindingClosure",
    "FindingCreate",
    "FindingRemediation",
    "RiskAcceptance",
]


class FindingCreate(Request):
    """Raise a finding against a model version."""

    version_id: UUID = Field(description="the model version the finding is about")
    severity: Severity = Field(description="how serious it is")
    title: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")] = Field(
        description="what is wrong"
    )
    due: date = Field(description="the ISO date by which it is to be resolved, e.g. 2025-03-31")
    source: FindingSource = Field(
        default=FindingSource.VALIDATION, description="who or what raised it"
    )


class FindingAssignment(Request):
    """Make a registered principal responsible for resolving a finding."""

    finding_id: UUID = Field(description="the finding")
    assignee: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="the name of a registered principal"
    )


class FindingRemediation(Request):
    """Record what was done to resolve a finding."""

    finding_id: UUID = Field(description="the finding")
    description: Text = Field(description="what was done")
    evidence_digests: Digests


class RiskAcceptance(Request):
    """An independent approver accepts a finding's risk, signing the ``accept_risk``
    statement; the finding no longer blocks prod."""

    finding_id: UUID = Field(description="the finding, the statement's subject")
    rationale: Text = Field(description="why the risk is acceptable")
    evidence_digests: Digests
    signature: SignatureBase64
    keyid: KeyId
    signed_at: SignedAt


class FindingClosure(Request):
    """A validator closes a remediated or risk-accepted finding."""

    finding_id: UUID = Field(description="the finding")


def _raise(context: CommandContext, actor: str, request: FindingCreate) -> Created:
    finding_id = context.application.raise_finding(
        actor=actor,
        version_id=request.version_id,
        severity=request.severity.value,
        title=request.title,
        due=request.due.isoformat(),
        source=request.source.value,
    )
    return Created(id=finding_id)


def _assign(context: CommandContext, actor: str, request: FindingAssignment) -> Done:
    context.application.assign_finding(
        actor=actor, finding_id=request.finding_id, assignee=request.assignee
    )
    return Done()


def _remediate(context: CommandContext, actor: str, request: FindingRemediation) -> Done:
    context.application.remediate_finding(
        actor=actor,
        finding_id=request.finding_id,
        description=request.description,
        evidence_digests=request.evidence_digests,
    )
    return Done()


def _accept_risk(context: CommandContext, actor: str, request: RiskAcceptance) -> Done:
    context.application.accept_risk(
        actor=actor,
        finding_id=request.finding_id,
        rationale=request.rationale,
        evidence_digests=request.evidence_digests,
        signature=signature_bytes(request.signature),
        keyid=request.keyid,
        signed_at=request.signed_at,
    )
    return Done()


def _close(context: CommandContext, actor: str, request: FindingClosure) -> Done:
    context.application.close_finding(actor=actor, finding_id=request.finding_id)
    return Done()


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="raise-finding",
        command=Command.RAISE_FINDING,
        resource="findings",
        path="/findings",
        request=FindingCreate,
        response=Created,
        run=_raise,
        summary="Raise a finding against a model version",
        status_code=201,
    ),
    CommandSpec(
        name="assign-finding",
        command=Command.ASSIGN_FINDING,
        resource="findings",
        path="/findings/assign",
        request=FindingAssignment,
        response=Done,
        run=_assign,
        summary="Make a principal responsible for resolving a finding",
    ),
    CommandSpec(
        name="remediate-finding",
        command=Command.REMEDIATE_FINDING,
        resource="findings",
        path="/findings/remediate",
        request=FindingRemediation,
        response=Done,
        run=_remediate,
        summary="Record what was done to resolve a finding",
    ),
    CommandSpec(
        name="accept-risk",
        command=Command.ACCEPT_RISK,
        resource="findings",
        path="/findings/accept-risk",
        request=RiskAcceptance,
        response=Done,
        run=_accept_risk,
        summary="Accept a finding's risk, signed with the approver's personal key",
    ),
    CommandSpec(
        name="close-finding",
        command=Command.CLOSE_FINDING,
        resource="findings",
        path="/findings/close",
        request=FindingClosure,
        response=Done,
        run=_close,
        summary="Close a remediated or risk-accepted finding",
    ),
)
