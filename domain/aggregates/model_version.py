"""The model version aggregate: one trained artifact through validation, approval, release and
monitoring (docs/events.md, "Model versions").

Its invariants and derived state live in ``domain.aggregates.version_state``; this module holds
the events. ``Trained`` is ``class_version`` 2: v1 events, recorded before reference statistics,
are read with ``reference_digest = ""``.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.aggregates.version_state import Decision, Signed, UatEvidence, VersionState

__all__ = ["Decision", "ModelVersion", "Signed", "UatEvidence"]


def _floats(values: dict[str, Any]) -> dict[str, float]:
    """Declared floats: canonical JSON may have stored 1.0 as 1."""
    return {name: float(value) for name, value in values.items()}


class ModelVersion(VersionState, Aggregate):
    """A trained version of a model; its id is derived from the model and its number."""

    class Trained(Aggregate.Created):
        """A version was trained; v2 records the digest of its reference statistics."""

        class_version = 2

        model_id: UUID
        number: int
        dataset_versions: list[Any]
        training_spec: dict[str, Any]
        code_version: str
        environment: dict[str, str]
        artifact_digest: str
        reference_digest: str
        metrics: dict[str, float]
        derived_from: str
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Versions trained before reference statistics were recorded have none."""
            state["reference_digest"] = ""

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
        reference_digest: str,
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
        self.reference_digest = reference_digest
        self.metrics = _floats(metrics)
        self.derived_from = derived_from
        self.developer = actor
        self.validator = ""
        self.validation_outcome = ""
        self.validation_evidence: tuple[str, ...] = ()
        self.validation_signed: Signed | None = None
        self.assessment_reports: list[str] = []
        self.mitigation: dict[str, Any] = {}
        self.decisions: list[Decision] = []
        self.environments: set[str] = set()
        self.ever_deployed: set[str] = set()
        self.uat_evidence: list[UatEvidence] = []
        self.retired = False
        self.finding_ids: list[UUID] = []
        self.monitoring_breaches: list[str] = []
        self.monitoring_windows = 0
        self.retraining_requests: list[str] = []

    @event("ValidationStarted")
    def start_validation(self, *, actor: str) -> None:
        """An independent validator takes the version on."""
        self.validator = actor
        self.validation_outcome = ""

    @event("ValidationMetricsRecorded")
    def record_validation_metrics(
        self, *, metrics: dict[str, float], report_digest: str, actor: str
    ) -> None:
        """The quality of the version on its holdout, from the assessment report."""
        self.assessment_reports.append(report_digest)

    @event("FairnessAssessed")
    def assess_fairness(
        self, *, fairness: dict[str, dict[str, float]], report_digest: str, actor: str
    ) -> None:
        """Fairness metrics per protected attribute, from the assessment report."""

    @event("ExplainabilityAssessed")
    def assess_explainability(
        self, *, metrics: dict[str, float], report_digest: str, actor: str
    ) -> None:
        """How faithfully local explanations follow the model, from the assessment report."""

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

    @event("BiasMitigated")
    def record_mitigation(
        self,
        *,
        method: str,
        sensitive_attribute: str,
        parameters: dict[str, Any],
        before: dict[str, float],
        after: dict[str, float],
        actor: str,
    ) -> None:
        """This version is a bias-mitigated derivative: how, and the fairness before and after."""
        self.mitigation = {
            "method": method,
            "sensitive_attribute": sensitive_attribute,
            "before": _floats(before),
            "after": _floats(after),
        }

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

    @event("ApprovalRevoked")
    def revoke_approval(
        self,
        *,
        artifact_digest: str,
        reason: str,
        evidence_digests: list[str],
        signature: str,
        keyid: str,
        signed_at: str,
        actor: str,
    ) -> None:
        """An approver's signed revocation of their approval of one artifact: it no longer
        counts. Where the version runs it keeps running; a new deployment needs approvals."""
        self.decisions = self.revoked_decisions(actor, artifact_digest)

    @event("Deployed")
    def deploy(self, *, environment: str, artifact_digest: str, actor: str) -> None:
        """The artifact now runs in ``environment``."""
        self.environments.add(environment)
        self.ever_deployed.add(environment)

    @event("UatEvidenceRecorded")
    def record_uat_evidence(
        self,
        *,
        kind: str,
        artifact_digest: str,
        metrics: dict[str, float],
        evidence_digest: str,
        passed: bool,
        actor: str,
    ) -> None:
        """A UAT check (integration | performance) of the artifact in uat, and its verdict."""
        self.uat_evidence.append(UatEvidence(kind, artifact_digest, evidence_digest, passed))

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

    @event("MonitoringWindowEvaluated")
    def evaluate_monitoring_window(
        self,
        *,
        environment: str,
        start: str,
        end: str,
        metrics: dict[str, float],
        segments: list[str],
        breaches: list[str],
        warnings: list[str],
        actor: str,
    ) -> None:
        """A window of logged predictions (the sealed segments named), summarised and judged."""
        self.monitoring_windows += 1
        self.monitoring_breaches = list(breaches)

    @event("DriftFlagged")
    def flag_drift(
        self, *, environment: str, features: list[str], dataset_drift_share: float, actor: str
    ) -> None:
        """The inputs in ``environment`` drifted from the reference: which features."""

    @event("FairnessBreached")
    def breach_fairness(
        self, *, environment: str, attributes: dict[str, dict[str, float]], actor: str
    ) -> None:
        """Fairness in ``environment`` fell outside the policy, per protected attribute."""

    @event("QualityDegraded")
    def degrade_quality(self, *, environment: str, metrics: dict[str, float], actor: str) -> None:
        """Quality on labelled predictions in ``environment`` fell below the policy."""

    @event("KpiBreached")
    def breach_kpi(self, *, environment: str, kpis: dict[str, float], actor: str) -> None:
        """A business KPI in ``environment`` (approval rate, expected cost) left its range."""

    @event("RetrainingRequested")
    def request_retraining(self, *, reason: str, finding_id: UUID, actor: str) -> None:
        """The policy asks for a retrained version, because of the finding named."""
        self.retraining_requests.append(reason)
