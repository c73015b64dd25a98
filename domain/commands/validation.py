"""Continuous validation through the assessor port: the validator of an open validation has the
version's artifact assessed on the data it was trained on, the report is stored as evidence, the
numbers are recorded on the version and each breach of the policy's ``validation`` section raises
a finding (docs/events.md, "Validation"). The validator then concludes with
``conclude_validation``, signing the report's digest as evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain.aggregates.finding import Finding
from domain.aggregates.model_version import ModelVersion
from domain.commands.arguments import check_seed, check_text
from domain.commands.service import required
from domain.commands.training import TrainingCommands, port_numbers
from domain.errors import InvalidArgumentError, PortError
from domain.ports.protocols import Assessment
from domain.rules.roles import Command
from domain.rules.validation import ValidationBreach, validation_breaches
from domain.rules.vocabulary import FindingSource

__all__ = ["VALIDATION_FINDING_DUE", "AssessmentOutcome", "ValidationCommands"]

VALIDATION_FINDING_DUE = timedelta(days=30)
"""How long the owner has to resolve a finding raised by a validation assessment."""


@dataclass(frozen=True, slots=True)
class AssessmentOutcome:
    """The stored report's digest, the breaches found and the findings they raised."""

    report_digest: str
    breaches: list[str]
    finding_ids: list[UUID]


class ValidationCommands(TrainingCommands):
    """The validator's assessment of a version with the assessor port."""

    def assess_model_version(self, *, actor: str, version_id: UUID, seed: int) -> AssessmentOutcome:
        """Assess the version under validation by ``actor``; record the numbers and findings."""
        needed_by = "assessing a model version"
        with self._command(actor, Command.ASSESS_MODEL_VERSION, subject=version_id):
            check_seed(seed)
            store = required(self.artifacts, argument="artifacts", needed_by=needed_by)
            assessor = required(self.assessor, argument="assessor", needed_by=needed_by)
            version = self.get_model_version(version_id)
            version.check_may_assess(actor)
            thresholds = self.current_policy().validation
            lineage = self._trained_lineage(version)
            artifact = self._fetch_artifact(
                store, version.artifact_digest, f"the artifact of version {version.number}"
            )
            assessed = assessor.assess(
                artifact,
                self._fetch_data(store, lineage),
                version.training_spec,
                protected_attributes=self._protected_attributes(lineage),
                seed=seed,
            )
            quality, fairness, explainability = _assessed_numbers(assessed)
            report = self._store_artifact(store, assessed.report, "the assessment report")
        found = validation_breaches(quality, fairness, explainability, thresholds)
        version.record_validation_metrics(metrics=quality, report_digest=report, actor=actor)
        version.assess_fairness(fairness=fairness, report_digest=report, actor=actor)
        version.assess_explainability(metrics=explainability, report_digest=report, actor=actor)
        findings = [self._validation_finding(version, breach, actor) for breach in found]
        self.save(version, *findings)
        return AssessmentOutcome(
            report, [breach.description for breach in found], [f.id for f in findings]
        )

    def _validation_finding(
        self, version: ModelVersion, breach: ValidationBreach, actor: str
    ) -> Finding:
        """A finding for one breach, linked to ``version``; the caller saves both."""
        finding = Finding(
            model_version_id=version.id,
            severity=breach.severity.value,
            title=f"validation breach: {breach.description}",
            due=(self.clock.now() + VALIDATION_FINDING_DUE).date().isoformat(),
            source=FindingSource.VALIDATION.value,
            actor=actor,
        )
        version.link_finding(finding_id=finding.id, actor=actor)
        return finding


def _assessed_numbers(
    assessed: Assessment,
) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float]]:
    """The assessment's numbers as the ledger records them; PortError if it cannot."""
    quality = port_numbers(assessed.quality, "assessor", "quality metric")
    explainability = port_numbers(assessed.explainability, "assessor", "explainability metric")
    if not isinstance(assessed.fairness, Mapping):
        raise PortError(f"the assessor answered fairness {assessed.fairness!r}, not a mapping")
    fairness: dict[str, dict[str, float]] = {}
    for attribute, metrics in assessed.fairness.items():
        try:
            name = check_text(attribute, "protected attribute")
        except InvalidArgumentError as error:
            raise PortError(f"the assessor answered outside its contract: {error}") from None
        fairness[name] = port_numbers(metrics, "assessor", f"fairness metric of {name}")
    return quality, fairness, explainability
