"""Release: signed approval decisions and their revocation, promotion through the gates,
rollback and retirement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.aggregates.model_version import ModelVersion
from domain.commands.arguments import check_text
from domain.commands.development import DevelopmentCommands
from domain.commands.service import required
from domain.rules.gates import check_promotion
from domain.rules.roles import Command
from domain.rules.statements import Statement
from domain.rules.vocabulary import Environment, check_digest, check_digests, parse

__all__ = ["ReleaseCommands"]


class ReleaseCommands(DevelopmentCommands):
    """Commands of the approver and the deployer."""

    def grant_approval(
        self,
        *,
        actor: str,
        version_id: UUID,
        artifact_digest: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        """An approver approves one artifact of a version, signing the decision."""
        self._decide(
            Command.GRANT_APPROVAL,
            actor=actor,
            version_id=version_id,
            artifact_digest=artifact_digest,
            evidence_digests=evidence_digests,
            signature=signature,
            keyid=keyid,
            signed_at=signed_at,
        )

    def reject_approval(
        self,
        *,
        actor: str,
        version_id: UUID,
        artifact_digest: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        """An approver rejects a version, signing the decision; it can never be approved."""
        self._decide(
            Command.REJECT_APPROVAL,
            actor=actor,
            version_id=version_id,
            artifact_digest=artifact_digest,
            evidence_digests=evidence_digests,
            signature=signature,
            keyid=keyid,
            signed_at=signed_at,
        )

    def revoke_approval(
        self,
        *,
        actor: str,
        version_id: UUID,
        artifact_digest: str,
        reason: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        """The approver whose approval of ``artifact_digest`` stands revokes it, signing the
        revocation and saying why. It no longer counts toward the prod gate: where the version
        runs it keeps running (rolling back is the deployer's act), but a new deployment to
        prod needs the approvals again. The approver may grant again later."""
        with self._command(actor, Command.REVOKE_APPROVAL, subject=version_id, reason=reason):
            check_text(reason, "reason")
            check_digest(artifact_digest, "artifact digest")
            evidence = check_digests(evidence_digests, "evidence digest")
            version = self.get_model_version(version_id)
            approval = version.check_may_revoke(actor, artifact_digest, reason)
            statement = Statement(
                action="revoke_approval",
                subject=str(version.id),
                artifact_digest=artifact_digest,
                evidence_digests=tuple(evidence),
                signer=actor,
                signed_at=signed_at,
                outcome="revoked",
            )
            granted_at = datetime.fromisoformat(approval.signed.signed_at)
            encoded = self._verify_signed(
                actor,
                statement,
                signature=signature,
                keyid=keyid,
                not_before=[(granted_at, "the approval was signed")],
            )
        version.revoke_approval(
            artifact_digest=artifact_digest,
            reason=reason,
            evidence_digests=evidence,
            signature=encoded,
            keyid=keyid,
            signed_at=signed_at,
            actor=actor,
        )
        self.save(version)

    def deploy(
        self, *, actor: str, version_id: UUID, environment: str, artifact_digest: str
    ) -> None:
        """Run ``artifact_digest`` of a version in ``environment``, through the policy's gates.

        With an ``inspector`` configured, the artifact is fetched (digest checked) and inspected
        first: a tampered or crafted model file is a recorded refusal, nothing of it executed.
        """
        with self._command(actor, Command.DEPLOY, subject=version_id):
            target = parse(Environment, environment, "environment")
            check_digest(artifact_digest, "artifact digest")
            version = self.get_model_version(version_id)
            check_promotion(
                version,
                environment=target,
                artifact_digest=artifact_digest,
                policy=self.current_policy(),
                risk_tier=self.get_model(version.model_id).risk_tier,
                blocking_findings=self._blocking_findings(version),
            )
            if self.inspector is not None:
                store = required(self.artifacts, argument="artifacts", needed_by="inspecting")
                self.inspector.inspect(
                    self._fetch_artifact(
                        store, artifact_digest, f"the artifact of version {version.number}"
                    )
                )
        version.deploy(environment=target.value, artifact_digest=artifact_digest, actor=actor)
        self.save(version)

    def roll_back(self, *, actor: str, version_id: UUID, environment: str) -> None:
        """Take a version out of ``environment``."""
        with self._command(actor, Command.ROLL_BACK, subject=version_id):
            target = parse(Environment, environment, "environment")
            version = self.get_model_version(version_id)
            version.check_deployed_in(target.value)
        version.roll_back(environment=target.value, actor=actor)
        self.save(version)

    def retire(self, *, actor: str, version_id: UUID) -> None:
        """Take a version out of service in every environment, for good."""
        with self._command(actor, Command.RETIRE, subject=version_id):
            version = self.get_model_version(version_id)
            version.check_not_retired("be retired again")
        version.retire(actor=actor)
        self.save(version)

    def _blocking_findings(self, version: ModelVersion) -> list[str]:
        blocking = self.current_policy().blocking_finding_severities
        return [
            f"{finding.title!r} ({finding.severity})"
            for finding in self.findings_of(version)
            if finding.is_open and finding.severity in blocking
        ]

    def _decide(
        self,
        command: Command,
        *,
        actor: str,
        version_id: UUID,
        artifact_digest: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        granted = command is Command.GRANT_APPROVAL
        with self._command(actor, command, subject=version_id):
            check_digest(artifact_digest, "artifact digest")
            evidence = check_digests(evidence_digests, "evidence digest")
            version = self.get_model_version(version_id)
            version.check_may_decide(actor, artifact_digest)
            statement = Statement(
                action="approve" if granted else "reject",
                subject=str(version.id),
                artifact_digest=artifact_digest,
                evidence_digests=tuple(evidence),
                signer=actor,
                signed_at=signed_at,
                outcome="granted" if granted else "rejected",
            )
            encoded = self._verify_signed(
                actor, statement, signature=signature, keyid=keyid, not_before=_decided_on(version)
            )
        decide = version.grant_approval if granted else version.reject_approval
        decide(
            artifact_digest=artifact_digest,
            evidence_digests=evidence,
            signature=encoded,
            keyid=keyid,
            signed_at=signed_at,
            actor=actor,
        )
        self.save(version)


def _decided_on(version: ModelVersion) -> list[tuple[datetime, str]]:
    """The moments an approver's decision must not precede: the version's training and the
    signing of the validation conclusion it rests on."""
    moments = [(version.created_on, "the version was trained")]
    if version.validation_signed is not None:
        concluded = datetime.fromisoformat(version.validation_signed.signed_at)
        moments.append((concluded, "the validation conclusion was signed"))
    return moments
