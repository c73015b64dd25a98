"""Monitors: registered per model version and environment, then evaluated window by window
through the drift and fairness ports; a breach in prod raises a finding (docs/events.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from domain.aggregates.monitor import Monitor, MonitorKind, check_threshold_overrides, check_window
from domain.commands.arguments import check_list, check_number, check_texts
from domain.commands.monitoring_windows import MonitoringCommands
from domain.commands.service import required
from domain.errors import (
    DomainError,
    DuplicateError,
    InvalidArgumentError,
    InvalidStateError,
    PortError,
)
from domain.rules.policy import MonitoringThresholds
from domain.rules.roles import Command
from domain.rules.thresholds import breaches, feature_drifted
from domain.rules.vocabulary import Environment, parse

__all__ = ["MonitorCommands"]

Rows = Sequence[Mapping[str, object]]


class MonitorCommands(MonitoringCommands):
    """Commands that register monitors and evaluate their windows with the monitoring ports."""

    def register_monitor(
        self,
        *,
        actor: str,
        version_id: UUID,
        kind: str,
        environment: str,
        thresholds: Mapping[str, float] | None = None,
    ) -> UUID:
        """Watch a version in an environment, optionally overriding policy thresholds; its id."""
        with self._command(actor, Command.REGISTER_MONITOR, subject=version_id):
            monitor_kind = parse(MonitorKind, kind, "monitor kind")
            target = parse(Environment, environment, "environment")
            overrides = check_threshold_overrides(
                thresholds or {}, self.current_policy().monitoring
            )
            version = self.get_model_version(version_id)
            version.check_not_retired("be monitored")
        monitor = Monitor(
            model_version_id=version.id,
            kind=monitor_kind.value,
            environment=target.value,
            thresholds=overrides,
            actor=actor,
        )
        try:
            return self._register(
                monitor,
                f"a {monitor_kind} monitor of version {version.number} in {target}",
                "evaluate its windows instead",
            )
        except DuplicateError as error:
            self._refuse(actor, Command.REGISTER_MONITOR, error, subject=version.id)

    def get_monitor(self, monitor_id: UUID) -> Monitor:
        """Return the monitor with this id."""
        return self._get(Monitor, monitor_id, f"no monitor with id {monitor_id}: register it first")

    def _watched_version(self, monitor_id: UUID) -> UUID:
        """The id of the version ``monitor_id`` watches, the subject of a refused evaluation;
        ``monitor_id`` itself when it names no monitor."""
        try:
            return self.get_monitor(monitor_id).model_version_id
        except DomainError:
            return monitor_id

    def evaluate_monitoring_window(
        self,
        *,
        actor: str,
        monitor_id: UUID,
        start: str,
        end: str,
        reference_rows: Rows = (),
        window_rows: Rows = (),
        predictions: Sequence[float] = (),
        groups: Sequence[str] = (),
    ) -> UUID | None:
        """Evaluate one window with the monitor's port; a breach in prod raises a finding, its id.

        A drift monitor compares ``window_rows`` with ``reference_rows``; a fairness monitor
        assesses ``predictions`` by ``groups``.
        """
        with self._command(
            actor, Command.EVALUATE_MONITORING_WINDOW, subject=self._watched_version(monitor_id)
        ):
            window_start, window_end = check_window(start, end)
            monitor = self.get_monitor(monitor_id)
            version = self.get_model_version(monitor.model_version_id)
            version.check_deployed_in(monitor.environment)
            thresholds = monitor.effective_thresholds(self.current_policy().monitoring)
            if monitor.kind == MonitorKind.DRIFT:
                metrics = self._drift_metrics(reference_rows, window_rows, thresholds)
            elif monitor.kind == MonitorKind.FAIRNESS:
                metrics = self._fairness_metrics(predictions, groups)
            else:
                raise InvalidStateError(
                    f"no port evaluates {monitor.kind} monitors from rows: report their "
                    "metrics with record_monitoring_result"
                )
        found = breaches(metrics, thresholds)
        monitor.evaluate_window(
            start=window_start, end=window_end, metrics=metrics, breaches=found, actor=actor
        )
        if not found or monitor.environment != Environment.PROD:
            self.save(monitor)
            return None
        finding = self._monitoring_finding(version, found, actor)
        self.save(monitor, version, finding)
        return finding.id

    def _drift_metrics(
        self, reference_rows: Rows, window_rows: Rows, thresholds: MonitoringThresholds
    ) -> dict[str, float]:
        """PSI and KS p-value per feature, and the share of features that drifted."""
        detector = required(
            self.drift_detector, argument="drift_detector", needed_by="a drift monitor"
        )
        check_list(reference_rows, "reference row")
        check_list(window_rows, "window row")
        if not reference_rows or not window_rows:
            raise InvalidArgumentError("a drift window needs reference rows and window rows")
        per_feature = detector.drift(reference_rows, window_rows)
        metrics: dict[str, float] = {}
        drifted = 0
        for feature, stats in sorted(per_feature.items()):
            metrics[f"psi.{feature}"] = _port_number(stats.psi, f"PSI of {feature}")
            metrics[f"ks_p_value.{feature}"] = _port_number(
                stats.ks_p_value, f"KS p-value of {feature}"
            )
            drifted += feature_drifted(stats.psi, stats.ks_p_value, thresholds)
        metrics["dataset_drift_share"] = drifted / len(per_feature) if per_feature else 0.0
        return metrics

    def _fairness_metrics(
        self, predictions: Sequence[float], groups: Sequence[str]
    ) -> dict[str, float]:
        """The fairness assessor's metrics, the disparate impact ratio among them."""
        assessor = required(
            self.fairness_assessor, argument="fairness_assessor", needed_by="a fairness monitor"
        )
        for prediction in check_list(predictions, "prediction"):
            check_number(prediction, "prediction")
        check_texts(groups, "group")
        if not predictions or len(predictions) != len(groups):
            raise InvalidArgumentError(
                f"a fairness window needs one group per prediction: {len(predictions)} "
                f"predictions, {len(groups)} groups"
            )
        assessed = assessor.assess(predictions, groups)
        return {name: _port_number(value, name) for name, value in assessed.items()}


def _port_number(value: object, what: str) -> float:
    """A port's number as a float; PortError if the ledger cannot record it."""
    try:
        return check_number(value, what)
    except InvalidArgumentError as error:
        raise PortError(f"the monitoring port answered outside its contract: {error}") from None
