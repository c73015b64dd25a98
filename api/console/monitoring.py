"""The monitoring numbers a model's charts show, read from the verified log's events.

The timeline (a read model) names each validation and monitoring event of a model with its
aggregate and version; the numbers themselves (metrics by group, per feature, per window) are
read from those events, so the charts show exactly what was recorded and nothing later than
the page's ``as_of``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.application import GovernanceApplication

__all__ = ["Charts", "Point", "charts_of"]

_PSI = re.compile(r"PSI of (\S+) ([0-9.eE+-]+)")
_WANTED = {
    "ModelVersion.ValidationMetricsRecorded",
    "ModelVersion.FairnessAssessed",
    "ModelVersion.MonitoringWindowEvaluated",
}
QUALITY = ("accuracy", "auc_roc", "f1")
KPIS = ("approval_rate", "expected_cost")


@dataclass(frozen=True)
class Point:
    """Metrics recorded at one leaf: by validation or by a monitoring window."""

    label: str
    metrics: Mapping[str, float]


@dataclass
class Charts:
    """Every number the model page charts."""

    over_time: list[Point] = field(default_factory=list)
    selection_by_group: dict[str, float] = field(default_factory=dict)
    fairness_of: str = ""
    disparate_impact: dict[str, float] = field(default_factory=dict)
    psi: dict[str, float] = field(default_factory=dict)
    window_of: str = ""


def charts_of(
    application: GovernanceApplication, timeline_rows: Sequence[Mapping[str, Any]]
) -> Charts:
    """The charts' numbers from the events the timeline rows name (in log order)."""
    found = Charts()
    for row in timeline_rows:
        if row["event"] not in _WANTED:
            continue
        event = _event(application, row)
        if event is None:
            continue
        label = f"v{row['version']} @{row['leaf_index']}"
        if row["event"] == "ModelVersion.ValidationMetricsRecorded":
            found.over_time.append(Point(f"{label} validation", _numbers(event.metrics)))
        elif row["event"] == "ModelVersion.FairnessAssessed":
            found.selection_by_group = _selection_rates(event.fairness)
            found.fairness_of = f"validation of v{row['version']} (leaf {row['leaf_index']})"
        else:
            metrics = _numbers(event.metrics)
            found.over_time.append(Point(f"{label} {event.environment}", metrics))
            found.disparate_impact = {
                name.removeprefix("disparate_impact."): value
                for name, value in metrics.items()
                if name.startswith("disparate_impact.")
            }
            found.psi = {
                feature: float(value)
                for text in [*event.breaches, *event.warnings]
                for feature, value in _PSI.findall(text)
            }
            found.window_of = (
                f"window {event.start} to {event.end} in {event.environment} of v{row['version']}"
                f" (leaf {row['leaf_index']})"
            )
    return found


def _event(application: GovernanceApplication, row: Mapping[str, Any]) -> Any:
    number = int(row["aggregate_version"])
    events = list(application.events.get(UUID(str(row["aggregate_id"])), gt=number - 1, lte=number))
    return events[0] if events else None


def _numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)}


def _selection_rates(fairness: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    return {
        f"{attribute}={name.removeprefix('selection_rate.')}": float(value)
        for attribute, metrics in sorted(fairness.items())
        for name, value in sorted(metrics.items())
        if name.startswith("selection_rate.")
    }
