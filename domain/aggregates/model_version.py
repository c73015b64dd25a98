"""The model version aggregate: one trained artifact through validation, approval and release.

Its invariants are the segregation of duties of docs/events.md: the validator of a version is not
its developer, and an approver is neither its developer nor its validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidStateError, SegregationOfDutiesError

__all__ = ["Decision", "ModelVersion", "Signed"]


@dataclass(frozen=True, slots=True)
class Signed:
    """A personal signature as recorded: base64 bytes, the key that made it, and when."""

    signature: str
    keyid: str
    signed_at: str


@dataclass(frozen=True, slots=True)
class Decision:
    """An approver's signed decision on one artifact of the version."""

    approver: str
    granted: bool
    artifact_digest: str
    evidence_digests: tuple[str, ...]
    signed: Signed


class ModelVersion(Aggregate):
    """A trained version of a model; its id is derived from the model and its number."""

    @staticmethod
    def create_id(model_id: UUID, number: int) -> UUID:
        """Derive the id from the model and the version number."""
        return uuid5(NAMESPACE_URL, f"govledger:model:{model_id}:version:{number}")

    @event("Trained")
    def __init__(
        self,
        *,
        model_id: UUID,
        number: int,
        dataset_versions: list[Any],
        training_spec: dict[str, Any],
        code_version: str,
        environment: dict[str, str],
        artifact_digest: str,
        metrics: dict[str, float],
        derived_from: str,
        actor: str,
    ) -> None:
        self.model_id = model_id
        self.number = number
        self.dataset_versions = list(dataset_versions)
        self.training_spec = dict(training_spec)
        self.code_version = code_version
        self.training_environment = dict(environment)
        self.artifact_digest = artifact_digest
        # Declared floats: canonical JSON may have stored 1.0 as 1.
        self.metrics = {name: float(value) for name, value in metrics.items()}
        self.derived_from = derived_from
        self.developer = actor
        self.validator = ""
        self.validation_outcome = ""
        self.validation_evidence: tuple[str, ...] = ()
        self.validation_signed: Signed | None = None
        self.decisions: list[Decision] = []
        self.environments: set[str] = set()
        self.retired = False
        self.finding_ids: list[UUID] = []
        self.monitoring_breaches: list[str] = []

    @event("ValidationStarted")
    def start_validation(self, *, actor: str) -> None:
        """An independent validator takes the version on."""
        self.validator = actor
        self.validation_outcome = ""

    @event("ValidationConcluded")
    def conclude_validation(
        self,
        *,
        outcome: str,
        evidence_digests: list[str],
        signature: str,
        keyid: str,
        signed_at: str,
        actor: str,
    ) -> None:
        """The validator's signed conclusion: passed or failed, on named evidence."""
        self.validation_outcome = outcome
        self.validation_evidence = tuple(evidence_digests)
        self.validation_signed = Signed(signature, keyid, signed_at)

    @event("ApprovalGranted")
    def grant_approval(
        self,
        *,
        artifact_digest: str,
        evidence_digests: list[str],
        signature: str,
        keyid: str,
        signed_at: str,
        actor: str,
    ) -> None:
        """An approver's signed approval of one artifact."""
        signed = Signed(signature, keyid, signed_at)
        self.decisions.append(
            Decision(actor, True, artifact_digest, tuple(evidence_digests), signed)
        )

    @event("ApprovalRejected")
    def reject_approval(
        self,
        *,
        artifact_digest: str,
        evidence_digests: list[str],
        signature: str,
        keyid: str,
        signed_at: str,
        actor: str,
    ) -> None:
        """An approver's signed rejection: the version will not be approved."""
        signed = Signed(signature, keyid, signed_at)
        self.decisions.append(
            Decision(actor, False, artifact_digest, tuple(evidence_digests), signed)
        )

    @event("Deployed")
    def deploy(self, *, environment: str, artifact_digest: str, actor: str) -> None:
        """The artifact now runs in ``environment``."""
        self.environments.add(environment)

    @event("RolledBack")
    def roll_back(self, *, environment: str, actor: str) -> None:
        """The version no longer runs in ``environment``."""
        self.environments.discard(environment)

    @event("Retired")
    def retire(self, *, actor: str) -> None:
        """The version leaves service for good."""
        self.environments.clear()
        self.retired = True

    @event("FindingLinked")
    def link_finding(self, *, finding_id: UUID, actor: str) -> None:
        """A finding was raised against this version."""
        self.finding_ids.append(finding_id)

    @event("MonitoringRecorded")
    def record_monitoring(
        self, *, environment: str, metrics: dict[str, float], breaches: list[str], actor: str
    ) -> None:
        """A monitoring window's metrics, and which policy thresholds they breach."""
        self.monitoring_breaches = list(breaches)

    # Derived state

    @property
    def validation_passed(self) -> bool:
        """True when the validation concluded ``passed``."""
        return self.validation_outcome == "passed"

    @property
    def rejected(self) -> bool:
        """True once an approver rejected the version."""
        return any(not decision.granted for decision in self.decisions)

    def approvers_of(self, artifact_digest: str) -> set[str]:
        """The distinct approvers who granted approval of ``artifact_digest``."""
        return {
            d.approver for d in self.decisions if d.granted and d.artifact_digest == artifact_digest
        }

    @property
    def status(self) -> str:
        """Where the version is in its lifecycle, derived from its events."""
        if self.retired:
            return "retired"
        if self.environments:
            return "deployed"
        if self.rejected:
            return "rejected"
        if self.approvers_of(self.artifact_digest):
            return "approved"
        if self.validation_outcome:
            return f"validation_{self.validation_outcome}"
        return "in_validation" if self.validator else "trained"

    # Invariants

    def check_may_start_validation(self, validator: str) -> None:
        """The validator is not the developer; a validation runs once unless it failed."""
        if validator == self.developer:
            raise SegregationOfDutiesError(
                f"{validator!r} developed version {self.number} and may not validate it: "
                "an independent validator must"
            )
        self.check_not_retired("be validated")
        if self.validator and self.validation_outcome != "failed":
            raise InvalidStateError(
                f"version {self.number} is already {self.status}: a validation restarts only "
                "after a failed one"
            )

    def check_may_conclude_validation(self, validator: str) -> None:
        """Only the validator who started an open validation concludes it."""
        if not self.validator or self.validation_outcome:
            raise InvalidStateError(
                f"version {self.number} has no validation in progress: start one first"
            )
        if validator != self.validator:
            raise InvalidStateError(
                f"the validation of version {self.number} was started by {self.validator!r}, "
                "who must conclude it"
            )

    def check_may_decide(self, approver: str, artifact_digest: str) -> None:
        """An approver is independent, decides on this version's artifact after a passed
        validation, and not after a rejection."""
        self.check_independent_approver(approver, "approve or reject it")
        self.check_not_retired("be approved")
        if self.rejected:
            raise InvalidStateError(f"version {self.number} was rejected: train a new version")
        if not self.validation_passed:
            raise InvalidStateError(
                f"version {self.number} is {self.status}: it needs a passed validation first"
            )
        if artifact_digest != self.artifact_digest:
            raise InvalidStateError(
                f"{artifact_digest} is not the artifact of version {self.number} "
                f"({self.artifact_digest})"
            )

    def check_independent_approver(self, approver: str, doing: str) -> None:
        """An approver is neither the developer nor the validator of the version."""
        if approver in (self.developer, self.validator):
            part = "developed" if approver == self.developer else "validated"
            raise SegregationOfDutiesError(
                f"{approver!r} {part} version {self.number} and may not {doing}: "
                "another approver must"
            )

    def check_deployed_in(self, environment: str) -> None:
        """The version runs in ``environment``."""
        if environment not in self.environments:
            raise InvalidStateError(f"version {self.number} is not deployed in {environment}")

    def check_not_retired(self, verb: str) -> None:
        """Nothing but reading happens to a retired version."""
        if self.retired:
            raise InvalidStateError(
                f"version {self.number} is retired and may not {verb}: train a new version"
            )
