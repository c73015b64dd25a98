"""Continuous monitoring: results of a window, and the findings a breach in prod raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from uuid import UUID

from domain.aggregates.finding import Finding
from domain.aggregates.model_version import ModelVersion
from domain.commands.arguments import check_numbers
from domain.commands.development import DevelopmentCommands
from domain.rules.roles import Command
from domain.rules.thresholds import breaches
from domain.rules.vocabulary import Environment, FindingSource, Severity, parse

__all__ = ["MONITORING_FINDING_DUE", "MonitoringCommands"]

MONITORING_FINDING_DUE = timedelta(days=30)
"""How long the owner has to resolve a finding raised by monitoring."""


class MonitoringCommands(DevelopmentCommands):
    """Commands of the monitor service."""

    def record_monitoring_result(
        self, *, actor: str, version_id: UUID, environment: str, metrics: Mapping[str, float]
    ) -> UUID | None:
        """Record a monitoring window; a breach in prod raises a high finding, whose id returns."""
        with self._command(actor, Command.RECORD_MONITORING_RESULT):
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
