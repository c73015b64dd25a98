"""Findings: raised by validators and monitors, resolved by remediation or signed acceptance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from domain.aggregates.finding import Finding
from domain.commands.arguments import check_text
from domain.commands.development import DevelopmentCommands
from domain.errors import InvalidArgumentError
from domain.rules.roles import Command
from domain.rules.statements import Statement
from domain.rules.vocabulary import FindingSource, Severity, check_digests, parse

__all__ = ["FindingCommands"]


class FindingCommands(DevelopmentCommands):
    """Commands on findings, by validators, monitors, owners, developers and approvers."""

    def raise_finding(
        self,
        *,
        actor: str,
        version_id: UUID,
        severity: str,
        title: str,
        due: str,
        source: str = FindingSource.VALIDATION,
    ) -> UUID:
        """Raise a finding against a model version; return its id."""
        with self._command(actor, Command.RAISE_FINDING, subject=version_id, title=title):
            if not check_text(title, "finding title").strip():
                raise InvalidArgumentError("a finding has a title saying what is wrong")
            level = parse(Severity, severity, "severity")
            origin = parse(FindingSource, source, "finding source")
            _check_date(due)
            version = self.get_model_version(version_id)
        finding = Finding(
            model_version_id=version.id,
            severity=level.value,
            title=title,
            due=due,
            source=origin.value,
            actor=actor,
        )
        version.link_finding(finding_id=finding.id, actor=actor)
        self.save(finding, version)
        return finding.id

    def get_finding(self, finding_id: UUID) -> Finding:
        """Return the finding with this id."""
        return self._get(Finding, finding_id, f"no finding with id {finding_id}")

    def assign_finding(self, *, actor: str, finding_id: UUID, assignee: str) -> None:
        """Make a registered principal responsible for resolving a finding."""
        with self._command(actor, Command.ASSIGN_FINDING, subject=finding_id, assignee=assignee):
            finding = self.get_finding(finding_id)
            finding.check_not_closed()
            self.get_principal(assignee)
        finding.assign(assignee=assignee, actor=actor)
        self.save(finding)

    def remediate_finding(
        self, *, actor: str, finding_id: UUID, description: str, evidence_digests: Sequence[str]
    ) -> None:
        """Record what was done to resolve a finding."""
        with self._command(
            actor, Command.REMEDIATE_FINDING, subject=finding_id, description=description
        ):
            check_text(description, "remediation description")
            evidence = check_digests(evidence_digests, "evidence digest")
            finding = self.get_finding(finding_id)
            finding.check_not_closed()
        finding.remediate(description=description, evidence_digests=evidence, actor=actor)
        self.save(finding)

    def accept_risk(
        self,
        *,
        actor: str,
        finding_id: UUID,
        rationale: str,
        evidence_digests: Sequence[str],
        signature: bytes,
        keyid: str,
        signed_at: str,
    ) -> None:
        """An independent approver accepts a finding's risk, signing it: it no longer blocks."""
        with self._command(actor, Command.ACCEPT_RISK, subject=finding_id, rationale=rationale):
            check_text(rationale, "rationale")
            evidence = check_digests(evidence_digests, "evidence digest")
            finding = self.get_finding(finding_id)
            finding.check_may_accept_risk()
            version = self.get_model_version(finding.model_version_id)
            version.check_independent_approver(actor, "accept the risk of its findings")
            statement = Statement(
                action="accept_risk",
                subject=str(finding.id),
                artifact_digest=version.artifact_digest,
                evidence_digests=tuple(evidence),
                signer=actor,
                signed_at=signed_at,
                outcome="accepted",
            )
            encoded = self._verify_signed(
                actor,
                statement,
                signature=signature,
                keyid=keyid,
                not_before=[(finding.created_on, "the finding was raised")],
            )
        finding.accept_risk(
            rationale=rationale,
            evidence_digests=evidence,
            signature=encoded,
            keyid=keyid,
            signed_at=signed_at,
            actor=actor,
        )
        self.save(finding)

    def close_finding(self, *, actor: str, finding_id: UUID) -> None:
        """A validator closes a remediated or risk-accepted finding."""
        with self._command(actor, Command.CLOSE_FINDING, subject=finding_id):
            finding = self.get_finding(finding_id)
            finding.check_may_close()
        finding.close(actor=actor)
        self.save(finding)


def _check_date(due: str) -> None:
    try:
        date.fromisoformat(due)
    except (ValueError, TypeError):
        raise InvalidArgumentError(
            f"due date {due!r} is not an ISO date, e.g. 2025-03-31"
        ) from None
