"""Monitoring status per environment and monitor kind, as the risk register keeps it.

``monitoring[environment][kind]`` is the verdict of the latest window that judged that kind
(fairness, drift, quality, kpi): ``"ok"`` or ``"breached"``, the window, its breaches and the
leaves it rests on. A window judges a kind when its metrics hold one the family reads
(``domain.rules.thresholds``): drift ``psi*``, ``drifted.*``, ``ks_p_value.*``,
``chi2_p_value.*``, ``dataset_drift_share``; fairness ``disparate_impact*``; quality
``quality_ratio``; kpi ``approval_rate``, ``expected_cost``. Sources of a verdict:
``ModelVersion.MonitoringWindowEvaluated`` and the flags recorded with it (``DriftFlagged``,
``FairnessBreached``, ``QualityDegraded``, ``KpiBreached``), ``ModelVersion.MonitoringRecorded``,
or ``Monitor.WindowEvaluated`` (the monitor's own kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FLAGS", "KINDS", "flagged", "judged_window", "kind_of_breach", "kinds_judged"]

KINDS = ("fairness", "drift", "quality", "kpi")
"""The monitor kinds (``domain.aggregates.monitor.MonitorKind``)."""

FLAGS = {
    "ModelVersion.DriftFlagged": ("drift", "features"),
    "ModelVersion.FairnessBreached": ("fairness", "attributes"),
    "ModelVersion.QualityDegraded": ("quality", "metrics"),
    "ModelVersion.KpiBreached": ("kpi", "kpis"),
}
"""Flag event -> the kind it marks breached and the attribute that says what breached."""

_METRIC_PREFIXES = {
    "drift": ("psi", "drifted.", "ks_p_value.", "chi2_p_value.", "dataset_drift_share"),
    "fairness": ("disparate_impact",),
    "quality": ("quality_ratio",),
    "kpi": ("approval_rate", "expected_cost"),
}
_BREACH_PREFIXES = {
    "drift": ("PSI", "dataset drift share"),
    "fairness": ("disparate impact",),
    "quality": ("quality ratio",),
    "kpi": ("approval rate", "expected cost"),
}


def kinds_judged(metrics: Iterable[str]) -> list[str]:
    """The kinds a window with these metric names judges."""
    names = list(metrics)
    return [k for k in KINDS if any(n.startswith(_METRIC_PREFIXES[k]) for n in names)]


def kind_of_breach(breach: str) -> str | None:
    """The kind a breach description (``domain.rules.thresholds``) belongs to."""
    return next((k for k in KINDS if breach.startswith(_BREACH_PREFIXES[k])), None)


def judged_window(
    monitoring: dict[str, Any],
    event: Any,
    *,
    kinds: Iterable[str],
    recorded_at: str,
    leaf: int,
    environment: str,
) -> None:
    """Record a window's verdict for each of ``kinds`` in ``environment``, its breaches split
    by kind."""
    window = {"start": event.start, "end": event.end} if hasattr(event, "start") else None
    by_environment = monitoring.setdefault(environment, {})
    for kind in kinds:
        found = [b for b in event.breaches if kind_of_breach(b) in (kind, None)]
        by_environment[kind] = {
            "status": "breached" if found else "ok",
            "window": window,
            "recorded_at": recorded_at,
            "breaches": found,
            "detail": {},
            "sources": [leaf],
        }


def flagged(monitoring: dict[str, Any], name: str, event: Any, recorded_at: str, leaf: int) -> None:
    """Mark the kind of a flag event breached in its environment, with what breached."""
    kind, attribute = FLAGS[name]
    by_environment = monitoring.setdefault(event.environment, {})
    verdict: Mapping[str, Any] = by_environment.get(kind) or {
        "window": None,
        "recorded_at": recorded_at,
        "breaches": [],
        "sources": [],
    }
    by_environment[kind] = {
        **verdict,
        "status": "breached",
        "detail": {attribute: getattr(event, attribute)},
        "sources": [*verdict["sources"], leaf],
    }
