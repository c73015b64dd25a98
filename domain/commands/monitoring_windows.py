"""Continuous monitoring: results of a window, the typed flags a breach records, and the
findings a breach in prod raises (docs/events.md, "Monitoring").

A finding raised by a window is pushed to the ``notifier`` port once the window is saved. The
webhook adapter queues a notice in a durable outbox and returns; it retries delivery until the
receiver acknowledges, so a receiver outage loses nothing. If queuing itself fails, the window
and its finding stay recorded, an alarm is logged and the outcome says ``notified=False``: the
finding is in the ledger for whoever reads it, and the caller may notify again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain.aggregates.finding import Finding
from domain.aggregates.model_version import ModelVersion
from domain.aggregates.monitor import check_window
from domain.commands.arguments import check_numbers
from domain.commands.prediction_segments import PredictionSegmentCommands
from domain.errors import InvalidArgumentError
from domain.rules.roles import Command
from domain.rules.thresholds import WindowJudgement, breaches, judge_window
from domain.rules.vocabulary import (
    Environment,
    FindingSource,
    SegmentKind,
    Severity,
    check_digests,
    parse,
)

__all__ = ["MONITORING_FINDING_DUE", "MonitoringCommands", "WindowOutcome"]

MONITORING_FINDING_DUE = timedelta(days=30)
"""How long the owner has to resolve a finding raised by monitoring."""

_alarms = logging.getLogger("govledger.alarm")


@dataclass(frozen=True, slots=True)
class WindowOutcome:
    """What a recorded window breached and warned of, the flags recorded, the finding raised
    (prod only), whether retraining was requested and whether the finding's notice was queued."""

    breaches: list[str]
    warnings: list[str]
    flags: list[str]
    finding_id: UUID | None
    retraining_requested: bool
    notified: bool


class MonitoringCommands(PredictionSegmentCommands):
    """Commands of the monitor service."""

    def record_monitoring_result(
        self, *, actor: str, version_id: UUID, environment: str, metrics: Mapping[str, float]
    ) -> UUID | None:
        """Record a monitoring window; a breach in prod raises a high finding, whose id returns."""
        with self._command(actor, Command.RECORD_MONITORING_RESULT, subject=version_id):
            target = parse(Environment, environment, "environment")
            values = check_numbers(metrics, "metric")
            version = self.get_model_version(version_id)
            version.check_deployed_in(target.value)
        found = breaches(values, self.current_policy().monitoring)
        version.record_monitoring(
            environment=target.value, metrics=values, breaches=found, actor=actor
        )
        if not found or target is not Environment.PROD:
            self.save(version)
            return None
        finding = self._monitoring_finding(version, found, actor)
        self.save(version, finding)
        return finding.id

    def record_monitoring_window(
        self,
        *,
        actor: str,
        version_id: UUID,
        environment: str,
        start: str,
        end: str,
        metrics: Mapping[str, float],
        segments: Sequence[str],
    ) -> WindowOutcome:
        """Record a window summarised from sealed segments (their digests) of the version's
        logs in ``environment``; flag each breached family; in prod raise a finding, request
        retraining if the policy says so, and notify."""
        with self._command(actor, Command.RECORD_MONITORING_WINDOW, subject=version_id):
            target = parse(Environment, environment, "environment")
            window_start, window_end = check_window(start, end)
            values = check_numbers(metrics, "metric")
            digests = check_digests(segments, "segment digest")
            version = self.get_model_version(version_id)
            version.check_ever_deployed_in(target.value)
            self._check_sealed(version, target.value, digests)
            policy = self.current_policy().monitoring
        judged = judge_window(values, policy)
        version.evaluate_monitoring_window(
            environment=target.value,
            start=window_start,
            end=window_end,
            metrics=values,
            segments=digests,
            breaches=judged.breaches,
            warnings=judged.warnings,
            actor=actor,
        )
        flags = _flag(version, judged, target.value, actor)
        finding = None
        if judged.breaches and target is Environment.PROD:
            finding = self._monitoring_finding(version, judged.breaches, actor)
            if policy.retrain_on_breach:
                reason = "monitoring breach in prod: " + "; ".join(judged.breaches)
                version.request_retraining(reason=reason, finding_id=finding.id, actor=actor)
        self.save(version, *([finding] if finding else []))
        notified = finding is not None and self._send_finding_notice(
            version, finding, target.value, judged.breaches
        )
        return WindowOutcome(
            judged.breaches,
            judged.warnings,
            flags,
            None if finding is None else finding.id,
            bool(finding and policy.retrain_on_breach),
            notified,
        )

    def _send_finding_notice(
        self, version: ModelVersion, finding: Finding, environment: str, found: list[str]
    ) -> bool:
        """Queue the notice of ``finding``; False, with an alarm logged, if there is no notifier
        or it failed: the recorded window stands either way."""
        if self.notifier is None:
            return False
        notice: dict[str, object] = {
            "type": "finding_raised",
            "finding_id": str(finding.id),
            "model": self.get_model(version.model_id).name,
            "version": version.number,
            "environment": environment,
            "severity": finding.severity,
            "title": finding.title,
            "breaches": list(found),
        }
        try:
            self.notifier.notify(notice)
        except Exception:  # whatever the adapter raises, the window is already saved
            _alarms.exception("the notice of finding %s was not queued", finding.id)
            return False
        return True

    def _check_sealed(self, version: ModelVersion, environment: str, digests: list[str]) -> None:
        """Each digest names a sealed segment of the version's logs in ``environment``."""
        sealed = {
            segment.digest
            for kind in SegmentKind
            for segment in self.prediction_segments(version.id, environment, kind.value)
        }
        unknown = [digest for digest in digests if digest not in sealed]
        if unknown:
            raise InvalidArgumentError(
                f"segments {unknown} are not sealed segments of version {version.number} in "
                f"{environment}: seal them with seal_prediction_segment first"
            )

    def _monitoring_finding(
        self, version: ModelVersion, found: Sequence[str], actor: str
    ) -> Finding:
        """A high finding for breaches in prod, linked to ``version``; the caller saves both."""
        finding = Finding(
            model_version_id=version.id,
            severity=Severity.HIGH.value,
            title="monitoring breach in prod: " + "; ".join(found),
            due=(self.clock.now() + MONITORING_FINDING_DUE).date().isoformat(),
            source=FindingSource.MONITORING.value,
            actor=actor,
        )
        version.link_finding(finding_id=finding.id, actor=actor)
        return finding


def _flag(
    version: ModelVersion, judged: WindowJudgement, environment: str, actor: str
) -> list[str]:
    """Record one typed flag per breached family on ``version``; their event names."""
    flags: list[str] = []
    if judged.drifted:
        version.flag_drift(
            environment=environment,
            features=judged.drifted_features,
            dataset_drift_share=judged.dataset_drift_share,
            actor=actor,
        )
        flags.append("DriftFlagged")
    if judged.fairness:
        version.breach_fairness(environment=environment, attributes=judged.fairness, actor=actor)
        flags.append("FairnessBreached")
    if judged.quality:
        version.degrade_quality(environment=environment, metrics=judged.quality, actor=actor)
        flags.append("QualityDegraded")
    if judged.kpis:
        version.breach_kpi(environment=environment, kpis=judged.kpis, actor=actor)
        flags.append("KpiBreached")
    return flags
