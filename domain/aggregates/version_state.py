"""A model version's derived state and invariants (docs/events.md, "Lifecycle").

Segregation of duties: the validator of a version is not its developer, and an approver is
neither its developer nor its validator. ``ModelVersion`` mixes these in; each reads only the
state its events set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.errors import InvalidArgumentError, InvalidStateError, SegregationOfDutiesError

__all__ = ["Decision", "Signed", "UatEvidence", "VersionState"]


@dataclass(frozen=True, slots=True)
class Signed:
    """A personal signature as recorded: base64 bytes, the key that made it, and when."""

    signature: str
    keyid: str
    signed_at: str


@dataclass(frozen=True, slots=True)
class Decision:
    """An approver's signed decision on one artifact of the version; a granted approval may
    later be ``revoked`` by the same approver."""

    approver: str
    granted: bool
    artifact_digest: str
    evidence_digests: tuple[str, ...]
    signed: Signed
    revoked: bool = False

    def stands_for(self, approver: str, artifact_digest: str) -> bool:
        """True when this is ``approver``'s granted, unrevoked approval of ``artifact_digest``."""
        return (
            self.granted
            and not self.revoked
            and self.approver == approver
            and self.artifact_digest == artifact_digest
        )


@dataclass(frozen=True, slots=True)
class UatEvidence:
    """A UAT check of one artifact: its kind (integration | performance) and whether it passed."""

    kind: str
    artifact_digest: str
    evidence_digest: str
    passed: bool


class VersionState:
    """Derived state and lifecycle rules of ``ModelVersion``; each rule raises a domain error
    naming the fix."""

    number: int
    developer: str
    validator: str
    validation_outcome: str
    artifact_digest: str
    environments: set[str]
    ever_deployed: set[str]
    retired: bool
    decisions: list[Decision]
    uat_evidence: list[UatEvidence]

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
        """The distinct approvers whose approval of ``artifact_digest`` stands (not revoked)."""
        return {d.approver for d in self.decisions if d.stands_for(d.approver, artifact_digest)}

    def standing_approvals(self, approver: str, artifact_digest: str) -> list[Decision]:
        """``approver``'s granted, unrevoked approvals of ``artifact_digest``, oldest first."""
        return [d for d in self.decisions if d.stands_for(approver, artifact_digest)]

    def revoked_decisions(self, approver: str, artifact_digest: str) -> list[Decision]:
        """The decisions once ``approver``'s standing approvals of ``artifact_digest`` are
        revoked: every one of them, so the approver no longer counts for that artifact."""
        return [
            replace(d, revoked=True) if d.stands_for(approver, artifact_digest) else d
            for d in self.decisions
        ]

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

    def passed_uat(self, kind: str, artifact_digest: str) -> bool:
        """True when a ``kind`` UAT check of ``artifact_digest`` passed."""
        return any(
            e.passed and e.kind == kind and e.artifact_digest == artifact_digest
            for e in self.uat_evidence
        )

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

    def check_may_revoke(self, approver: str, artifact_digest: str, reason: str) -> Decision:
        """Only an approver whose approval of ``artifact_digest`` stands revokes it, saying why;
        the latest such approval (the revocation is signed after it)."""
        if not reason.strip():
            raise InvalidArgumentError(
                f"a revocation of an approval of version {self.number} needs a reason"
            )
        standing = self.standing_approvals(approver, artifact_digest)
        if not standing:
            raise InvalidStateError(
                f"{approver!r} has no standing approval of {artifact_digest} on version "
                f"{self.number} to revoke: only the approver who granted it may revoke it"
            )
        return standing[-1]

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

    def check_may_assess(self, validator: str) -> None:
        """Only the validator of an open validation records its assessment."""
        self.check_may_conclude_validation(validator)

    def check_ever_deployed_in(self, environment: str) -> None:
        """The version has run in ``environment`` at some time (now or before a rollback)."""
        if environment not in self.ever_deployed:
            raise InvalidStateError(
                f"version {self.number} was never deployed in {environment}: deploy it there first"
            )
