"""Blocks of evidence shared by the regulatory documents (Annex IV, SR 11-7): signed test
reports and approvals, validation metrics and fairness by group, monitoring windows, findings,
deployments and rollbacks, the change log. Each returns safe HTML citing its leaves."""

from __future__ import annotations

from typing import Any

from api.exports.context import BundleContext, BundleEvent
from api.exports.documents.charts import bar_chart, number
from api.exports.documents.html_page import cite, fact, paragraph, table, text
from api.exports.documents.regulatory_evidence import (
    deployment_answer,
    named,
    timeline_rows,
    version_numbers,
    version_of,
)
from api.exports.personal_signatures import signed_decisions

__all__ = [
    "change_log",
    "deployment_history",
    "findings",
    "monitoring_windows",
    "policy_thresholds",
    "signed_reports",
    "validation_fairness",
    "validation_quality",
]

_SIGNED = (
    "ModelVersion.ValidationConcluded",
    "ModelVersion.ApprovalGranted",
    "ModelVersion.ApprovalRejected",
    "ModelVersion.ApprovalRevoked",
    "Finding.RiskAccepted",
)


def _metric(value: Any) -> str:
    """A metric as a number with 4 decimals, or as escaped text when it is not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    return text(value)


def _version_cell(numbers: dict[str, int], event: BundleEvent) -> str:
    found = version_of(numbers, event)
    return "" if found is None else f"v{found}"


def signed_reports(context: BundleContext) -> str:
    """Validation conclusions, approvals, rejections, revocations and risk acceptances: who
    signed, when, with which key, and their personal signature checked again from the bundle's
    events (the statement rebuilt, the signer's registered key)."""
    numbers = version_numbers(context)
    events = {event.leaf_index: event for event in named(context, *_SIGNED)}
    rows = []
    for decision in signed_decisions(context):
        event = events[decision.leaf_index]
        rows.append(
            [
                _version_cell(numbers, event),
                text(f"{decision.action}: {decision.outcome}"),
                text(decision.signer),
                text(decision.signed_at),
                f"<code>{text(decision.keyid)}</code>",
                text(decision.status),
                text(event.state.get("evidence_digests", [])),
                cite([event.leaf_index]),
            ]
        )
    headers = ["version", "report", "signed by", "signed at", "key", "signature", "evidence"]
    return table([*headers, "leaf"], rows, "no signed report in the ledger")


def validation_quality(context: BundleContext) -> str:
    """Quality metrics each validation recorded, one row per metric and version."""
    numbers = version_numbers(context)
    rows = [
        [_version_cell(numbers, event), text(name), _metric(value), cite([event.leaf_index])]
        for event in named(context, "ModelVersion.ValidationMetricsRecorded")
        for name, value in sorted(event.state.get("metrics", {}).items())
    ]
    return table(["version", "metric", "value", "leaf"], rows, "no validation metrics recorded")


def validation_fairness(context: BundleContext) -> str:
    """Fairness by protected attribute and group for each validation, with a chart of the
    disparate impact ratios against the policy's floor."""
    numbers = version_numbers(context)
    floor = _threshold(context, "disparate_impact_min")
    parts = []
    for event in named(context, "ModelVersion.FairnessAssessed"):
        label = _version_cell(numbers, event)
        assessed = event.state.get("fairness", {})
        rows = [
            [text(attribute), text(name), _metric(value), cite([event.leaf_index])]
            for attribute, metrics in sorted(assessed.items())
            for name, value in sorted(metrics.items())
        ]
        bars = [
            (f"{attribute}", float(metrics["disparate_impact"]))
            for attribute, metrics in sorted(assessed.items())
            if isinstance(metrics.get("disparate_impact"), (int, float))
        ]
        title = f"Disparate impact by protected attribute, validation of {label}"
        parts.append(f"<h3>Validation of {text(label)} {cite([event.leaf_index])}</h3>")
        parts.append(bar_chart(title, bars, floor))
        parts.append(table(["attribute", "metric (by group)", "value", "leaf"], rows))
    return "".join(parts) or paragraph("No fairness assessment in the ledger.")


def _threshold(context: BundleContext, name: str) -> float | None:
    """A monitoring threshold of the last policy the bundle carries, if it sets one."""
    value = None
    for event in named(context, "PolicyHistory.PolicySet"):
        value = event.state.get("document", {}).get("monitoring", {}).get(name, value)
    return float(value) if isinstance(value, (int, float)) else None


def policy_thresholds(context: BundleContext) -> str:
    """The gates and monitoring thresholds of each policy version the bundle carries."""
    rows = []
    for event in named(context, "PolicyHistory.PolicySet"):
        document = event.state.get("document", {})
        for section in ("approvals", "gates", "monitoring", "validation", "prediction_log"):
            if section in document:
                rows.append(
                    [
                        text(event.state.get("policy_version")),
                        text(section),
                        f"<code>{text(_flat(document[section]))}</code>",
                        cite([event.leaf_index]),
                    ]
                )
    return table(["policy", "part", "settings", "leaf"], rows, "no policy in the ledger")


def _flat(settings: Any) -> str:
    """Settings as ``key=value`` pairs, sorted, nested keys dotted."""
    if not isinstance(settings, dict):
        return str(settings)
    pairs: list[str] = []
    for key, value in sorted(settings.items()):
        if isinstance(value, dict):
            pairs.extend(f"{key}.{pair}" for pair in _flat(value).split("; "))
        else:
            pairs.append(f"{key}={value}")
    return "; ".join(pairs)


def monitoring_windows(context: BundleContext) -> str:
    """Each monitoring window: environment, version, period, breaches; charts of the PSI per
    feature and the disparate impact per attribute of each window."""
    numbers = version_numbers(context)
    psi_limit = _threshold(context, "psi_drift")
    impact_floor = _threshold(context, "disparate_impact_min")
    rows, charts = [], []
    for event in named(context, "ModelVersion.MonitoringWindowEvaluated"):
        state = event.state
        label = f"{_version_cell(numbers, event)} in {state.get('environment', '')}"
        period = f"{state.get('start', '')} to {state.get('end', '')}"
        breaches = state.get("breaches", [])
        rows.append(
            [
                text(label),
                text(period),
                text(breaches) if breaches else "none",
                cite([event.leaf_index]),
            ]
        )
        metrics = state.get("metrics", {})
        charts.append(
            bar_chart(
                f"PSI by feature, {label}, window ending {state.get('end', '')}",
                _prefixed(metrics, "psi."),
                psi_limit,
            )
        )
        charts.append(
            bar_chart(
                f"Disparate impact by attribute, {label}, window ending {state.get('end', '')}",
                _prefixed(metrics, "disparate_impact."),
                impact_floor,
            )
        )
    listing = table(
        ["version", "window", "breaches", "leaf"], rows, "no monitoring window recorded"
    )
    return listing + "".join(charts)


def _prefixed(metrics: dict[str, Any], prefix: str) -> list[tuple[str, float]]:
    return [
        (name.removeprefix(prefix), float(value))
        for name, value in sorted(metrics.items())
        if name.startswith(prefix) and isinstance(value, (int, float))
    ]


def findings(context: BundleContext) -> str:
    """Every finding: title, severity, source, due date, who raised it, and what followed
    (assignment, remediation, risk acceptance, closure), each citing its leaf."""
    numbers = version_numbers(context)
    follow: dict[str, list[BundleEvent]] = {}
    for event in named(
        context, "Finding.Assigned", "Finding.Remediated", "Finding.RiskAccepted", "Finding.Closed"
    ):
        follow.setdefault(event.payload.aggregate_id, []).append(event)
    rows = []
    for event in named(context, "Finding.Raised"):
        state = event.state
        after = [
            fact(
                f"{later.name.partition('.')[2]} by {later.state.get('actor', '')} "
                f"at {later.recorded_at}",
                [later.leaf_index],
            )
            for later in follow.get(event.payload.aggregate_id, [])
        ]
        rows.append(
            [
                _version_cell(numbers, event),
                text(state.get("title")),
                text(state.get("severity")),
                text(state.get("source")),
                text(state.get("actor")),
                text(state.get("due")),
                "<br>".join(after) if after else "open: no remediation recorded",
                cite([event.leaf_index]),
            ]
        )
    headers = ["version", "finding", "severity", "source", "raised by", "due", "follow-up", "leaf"]
    return table(headers, rows, "no finding raised")


def deployment_history(context: BundleContext) -> str:
    """Every deployment and rollback of the model, who did it, when, in which environment."""
    rows = [
        [
            text(f"v{row['version']}"),
            text(row["action"]),
            text(row["environment"]),
            text(row["by"]),
            text(row["at"]),
            cite(row["sources"]),
        ]
        for row in deployment_answer(context)["history"]
        if context.version is None or row["version"] == context.version
    ]
    headers = ["version", "action", "environment", "by", "at", "leaf"]
    return table(headers, rows, "never deployed")


def change_log(context: BundleContext) -> str:
    """The model's timeline at the cut: every recorded change, dated, with its actor."""
    rows = [
        [
            text(row["recorded_at"]),
            text(row["event"]),
            text("" if row.get("version") is None else f"v{row['version']}"),
            text(row["summary"]),
            cite(row["sources"]),
        ]
        for row in timeline_rows(context)
        if context.version is None or row.get("version") in (None, context.version)
    ]
    return table(["recorded at", "event", "version", "change", "leaf"], rows, "no change recorded")
