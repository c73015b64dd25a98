"""The validator's commands: start a validation, assess the version, conclude it signed.

Concluding carries the validator's personal signature over the ``conclude_validation``
statement (subject: the version id; artifact: the version's artifact digest; outcome: the
conclusion), fetched from ``POST /v1/statements`` and signed on the validator's own machine.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.registry.fields import (
    Digest,
    Digests,
    Done,
    KeyId,
    Seed,
    SignatureBase64,
    SignedAt,
    signature_bytes,
)
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.rules.roles import Command
from domain.rules.vocabulary import Outcome

__all__ = [
    "SPECS",
    "AssessmentPublic",
    "AssessmentRequest",
    "ValidationConclusion",
    "ValidationStart",
]


class ValidationStart(Request):
    """An independent validator starts validating a version."""

    version_id: UUID = Field(description="the model version to validate")


class ValidationConclusion(Request):
    """The validator's signed conclusion of an open validation."""

    version_id: UUID = Field(description="the model version under validation")
    outcome: Outcome = Field(description="the conclusion, signed as the statement's outcome")
    evidence_digests: Digests
    signature: SignatureBase64
    keyid: KeyId
    signed_at: SignedAt


class AssessmentRequest(Request):
    """Have the version under validation assessed on the data it was trained on."""

    version_id: UUID = Field(description="the model version under validation by the caller")
    seed: Seed


class AssessmentPublic(Response):
    """The stored report, the breaches of the policy's validation section and their findings."""

    report_digest: Digest
    breaches: list[str] = Field(description="each breach of the policy's validation section")
    finding_ids: list[UUID] = Field(description="the finding raised for each breach")


def _start(context: CommandContext, actor: str, request: ValidationStart) -> Done:
    context.application.start_validation(actor=actor, version_id=request.version_id)
    return Done()


def _conclude(context: CommandContext, actor: str, request: ValidationConclusion) -> Done:
    context.application.conclude_validation(
        actor=actor,
        version_id=request.version_id,
        outcome=request.outcome.value,
        evidence_digests=request.evidence_digests,
        signature=signature_bytes(request.signature),
        keyid=request.keyid,
        signed_at=request.signed_at,
    )
    return Done()


def _assess(context: CommandContext, actor: str, request: AssessmentRequest) -> AssessmentPublic:
    outcome = context.application.assess_model_version(
        actor=actor, version_id=request.version_id, seed=request.seed
    )
    return AssessmentPublic(
        report_digest=outcome.report_digest,
        breaches=outcome.breaches,
        finding_ids=outcome.finding_ids,
    )


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="start-validation",
        command=Command.START_VALIDATION,
        resource="validations",
        path="/validations/start",
        request=ValidationStart,
        response=Done,
        run=_start,
        summary="Start an independent validation of a model version",
    ),
    CommandSpec(
        name="conclude-validation",
        command=Command.CONCLUDE_VALIDATION,
        resource="validations",
        path="/validations/conclude",
        request=ValidationConclusion,
        response=Done,
        run=_conclude,
        summary="Conclude a validation, signed with the validator's personal key",
    ),
    CommandSpec(
        name="assess-model-version",
        command=Command.ASSESS_MODEL_VERSION,
        resource="validations",
        path="/validations/assess",
        request=AssessmentRequest,
        response=AssessmentPublic,
        run=_assess,
        summary="Assess the version under validation: quality, fairness, explainability",
        needs_ml=True,
    ),
)
