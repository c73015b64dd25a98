"""Promotion gates (docs/events.md, "Lifecycle"): what a version needs before each environment.

UAT needs a passed validation; Prod needs a passed validation, enough distinct approvals of the
exact artifact being deployed, no open finding of a blocking severity and, when the policy opts in
(``gates.prod.requires_uat_evidence``), a passed integration and performance UAT check of that
artifact. The current
``Policy`` says which of these apply and how many approvers a risk tier needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.aggregates.model_version import ModelVersion
from domain.errors import GateError, InvalidStateError
from domain.rules.policy import Policy
from domain.rules.vocabulary import Environment, UatCheck

__all__ = ["check_promotion"]


def check_promotion(
    version: ModelVersion,
    *,
    environment: Environment,
    artifact_digest: str,
    policy: Policy,
    risk_tier: str,
    blocking_findings: Sequence[str],
) -> None:
    """Raise unless ``version`` may run ``artifact_digest`` in ``environment`` now."""
    version.check_not_retired("be deployed")
    if artifact_digest != version.artifact_digest:
        raise GateError(
            f"{artifact_digest} is not the artifact of version {version.number} "
            f"({version.artifact_digest}): a new artifact is a new version, with its own approval"
        )
    if environment is Environment.UAT and policy.uat_requires_passed_validation:
        _check_validated(version, environment)
    if environment is Environment.PROD:
        _check_prod(
            version,
            policy=policy,
            risk_tier=risk_tier,
            blocking_findings=blocking_findings,
        )


def _check_prod(
    version: ModelVersion, *, policy: Policy, risk_tier: str, blocking_findings: Sequence[str]
) -> None:
    if version.rejected:
        raise InvalidStateError(f"version {version.number} was rejected and may not reach prod")
    if policy.prod_requires_passed_validation:
        _check_validated(version, Environment.PROD)
    if policy.prod_requires_approval_of_artifact:
        needed = policy.approvers_needed(risk_tier)
        approvers = version.approvers_of(version.artifact_digest)
        if len(approvers) < needed:
            raise GateError(
                f"prod needs {needed} distinct approver(s) of {version.artifact_digest} for a "
                f"{risk_tier}-risk model (policy {policy.version}); it has {len(approvers)}"
            )
    if policy.prod_requires_uat_evidence:
        missing = [
            check.value
            for check in UatCheck
            if not version.passed_uat(check.value, version.artifact_digest)
        ]
        if missing:
            raise GateError(
                f"prod needs a passed {' and a passed '.join(missing)} UAT check of "
                f"{version.artifact_digest} (policy {policy.version}): record them with "
                "record_uat_evidence while it runs in uat"
            )
    if blocking_findings:
        raise GateError(
            f"prod is blocked by open finding(s) {', '.join(blocking_findings)}: remediate and "
            "close them, or have an approver accept the risk"
        )


def _check_validated(version: ModelVersion, environment: Environment) -> None:
    if not version.validation_passed:
        raise GateError(
            f"{environment} needs a passed validation; version {version.number} is {version.status}"
        )
