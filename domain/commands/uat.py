"""UAT evidence before Prod: the deployer records an integration or a performance check of the
artifact running in uat, and the domain decides from its metrics and the policy's ``uat``
section whether it passed (docs/events.md, "UAT evidence"). When the policy's
``gates.prod.requires_uat_evidence`` is true, Prod needs a passed check of each kind for the
exact artifact deployed."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from domain.commands.arguments import check_numbers
from domain.commands.development import DevelopmentCommands
from domain.rules.roles import Command
from domain.rules.uat import uat_passed
from domain.rules.vocabulary import Environment, UatCheck, check_digest, parse

__all__ = ["UatCommands"]


class UatCommands(DevelopmentCommands):
    """The deployer's UAT evidence."""

    def record_uat_evidence(
        self,
        *,
        actor: str,
        version_id: UUID,
        kind: str,
        metrics: Mapping[str, float],
        evidence_digest: str,
    ) -> bool:
        """Record a ``kind`` check (integration | performance) of the version deployed in uat,
        on the evidence of ``evidence_digest``; whether it passed."""
        with self._command(actor, Command.RECORD_UAT_EVIDENCE, subject=version_id):
            check = parse(UatCheck, kind, "UAT check")
            values = check_numbers(metrics, "metric")
            check_digest(evidence_digest, "evidence digest")
            version = self.get_model_version(version_id)
            version.check_deployed_in(Environment.UAT.value)
            passed = uat_passed(check, values, self.current_policy().uat)
        version.record_uat_evidence(
            kind=check.value,
            artifact_digest=version.artifact_digest,
            metrics=values,
            evidence_digest=evidence_digest,
            passed=passed,
            actor=actor,
        )
        self.save(version)
        return passed
