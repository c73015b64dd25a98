"""The monitor aggregate: what is watched for one model version in one environment, and each
window evaluated (docs/events.md, "Continuous Monitoring").

A monitor may override the policy's monitoring thresholds for its version (docs/events.md,
"Policies": thresholds "overridable per model"); the rest come from the policy in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidArgumentError
from domain.rules.policy import MonitoringThresholds
from domain.rules.policy_invariants import THRESHOLD_RANGES, threshold_problems

__all__ = ["Monitor", "MonitorKind", "check_threshold_overrides", "check_window"]

_THRESHOLD_NAMES = frozenset(THRESHOLD_RANGES)
"""What a monitor may override: the numeric thresholds, not the policy's flags."""


class MonitorKind(StrEnum):
    """What a monitor watches."""

    FAIRNESS = "fairness"
    DRIFT = "drift"
    QUALITY = "quality"
    KPI = "kpi"


def check_threshold_overrides(
    overrides: Mapping[str, float], policy: MonitoringThresholds
) -> dict[str, float]:
    """The overrides as floats; InvalidArgumentError if one is not a threshold of the policy,
    or if the thresholds in effect with them break the policy's invariants (ranges, order)."""
    if not isinstance(overrides, Mapping):
        raise InvalidArgumentError(f"thresholds {overrides!r} are not a mapping")
    unknown = sorted(map(str, set(overrides) - _THRESHOLD_NAMES))
    if unknown:
        accepted = " | ".join(sorted(_THRESHOLD_NAMES))
        raise InvalidArgumentError(f"thresholds {unknown} are not among {accepted}")
    problems = threshold_problems({**asdict(policy), **overrides})
    if problems:
        raise InvalidArgumentError("threshold overrides refused: " + "; ".join(problems))
    return {name: float(value) for name, value in overrides.items()}


class Monitor(Aggregate):
    """One kind of monitoring of a model version in an environment; its id derives from those."""

    @staticmethod
    def create_id(model_version_id: UUID, kind: str, environment: str) -> UUID:
        """Derive the id from the version, the kind and the environment."""
        return uuid5(NAMESPACE_URL, f"govledger:monitor:{model_version_id}:{kind}:{environment}")

    @event("Registered")
    def __init__(
        self,
        *,
        model_version_id: UUID,
        kind: str,
        environment: str,
        thresholds: dict[str, float],
        actor: str,
    ) -> None:
        self.model_version_id = model_version_id
        self.kind = kind
        self.environment = environment
        # Declared floats: canonical JSON may have stored 1.0 as 1.
        self.thresholds = {name: float(value) for name, value in thresholds.items()}
        self.registered_by = actor
        self.windows = 0
        self.last_metrics: dict[str, float] = {}
        self.last_breaches: list[str] = []

    @event("WindowEvaluated")
    def evaluate_window(
        self,
        *,
        start: str,
        end: str,
        metrics: dict[str, float],
        breaches: list[str],
        actor: str,
    ) -> None:
        """The metrics of one window of the version's traffic, and the thresholds they breach."""
        self.windows += 1
        self.last_metrics = {name: float(value) for name, value in metrics.items()}
        self.last_breaches = list(breaches)

    def effective_thresholds(self, policy: MonitoringThresholds) -> MonitoringThresholds:
        """The policy's thresholds, with this monitor's overrides in their place."""
        overrides: dict[str, Any] = dict(self.thresholds)
        return replace(policy, **overrides)


def check_window(start: str, end: str) -> tuple[str, str]:
    """The window's bounds in ISO 8601 if ``start`` precedes ``end``, else InvalidArgumentError."""
    try:
        window_start, window_end = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except (ValueError, TypeError):
        raise InvalidArgumentError(
            f"window {start!r} to {end!r} is not a pair of ISO 8601 times"
        ) from None
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise InvalidArgumentError(f"window {start!r} to {end!r} needs times with a UTC offset")
    if not window_start < window_end:
        raise InvalidArgumentError(f"window start {start} is not before its end {end}")
    return window_start.isoformat(), window_end.isoformat()
