"""The deployer's commands: deploy through the policy's gates, roll back, retire, and record
the UAT evidence Prod may need."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from api.registry.fields import Digest, Done, Metrics
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request, Response
from domain.rules.roles import Command
from domain.rules.vocabulary import Environment, UatCheck

__all__ = ["SPECS", "Deployment", "Retirement", "RollBack", "UatEvidence", "UatEvidencePublic"]


class Deployment(Request):
    """Run one artifact of a version in an environment, if the policy's gates allow it."""

    version_id: UUID = Field(description="the model version to deploy")
    environment: Environment = Field(description="where it is to run")
    artifact_digest: Digest = Field(description="the artifact to run: the version's own")


class RollBack(Request):
    """Take a version out of one environment where it runs."""

    version_id: UUID = Field(description="the model version to take out")
    environment: Environment = Field(description="where it runs now")


class Retirement(Request):
    """Take a version out of service in every environment, for good."""

    version_id: UUID = Field(description="the model version to retire")


class UatEvidence(Request):
    """A check of the version running in uat; the policy's ``uat`` section decides if it passed."""

    version_id: UUID = Field(description="the model version running in uat")
    kind: UatCheck = Field(description="which check was run")
    metrics: Metrics
    evidence_digest: Digest = Field(description="the digest of the check's report")


class UatEvidencePublic(Response):
    """Whether the recorded check passed."""

    passed: bool


def _deploy(context: CommandContext, actor: str, request: Deployment) -> Done:
    context.application.deploy(
        actor=actor,
        version_id=request.version_id,
        environment=request.environment.value,
        artifact_digest=request.artifact_digest,
    )
    return Done()


def _roll_back(context: CommandContext, actor: str, request: RollBack) -> Done:
    context.application.roll_back(
        actor=actor, version_id=request.version_id, environment=request.environment.value
    )
    return Done()


def _retire(context: CommandContext, actor: str, request: Retirement) -> Done:
    context.application.retire(actor=actor, version_id=request.version_id)
    return Done()


def _uat_evidence(context: CommandContext, actor: str, request: UatEvidence) -> UatEvidencePublic:
    passed = context.application.record_uat_evidence(
        actor=actor,
        version_id=request.version_id,
        kind=request.kind.value,
        metrics=request.metrics,
        evidence_digest=request.evidence_digest,
    )
    return UatEvidencePublic(passed=passed)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="deploy",
        command=Command.DEPLOY,
        resource="deployments",
        path="/deployments",
        request=Deployment,
        response=Done,
        run=_deploy,
        summary="Deploy a version's artifact to dev, uat or prod through the policy's gates",
    ),
    CommandSpec(
        name="roll-back",
        command=Command.ROLL_BACK,
        resource="deployments",
        path="/deployments/roll-back",
        request=RollBack,
        response=Done,
        run=_roll_back,
        summary="Take a version out of an environment",
    ),
    CommandSpec(
        name="retire",
        command=Command.RETIRE,
        resource="deployments",
        path="/deployments/retire",
        request=Retirement,
        response=Done,
        run=_retire,
        summary="Retire a version from every environment, for good",
    ),
    CommandSpec(
        name="record-uat-evidence",
        command=Command.RECORD_UAT_EVIDENCE,
        resource="deployments",
        path="/deployments/uat-evidence",
        request=UatEvidence,
        response=UatEvidencePublic,
        run=_uat_evidence,
        summary="Record an integration or performance check of the version running in uat",
    ),
)
