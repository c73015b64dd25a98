"""``sr11_7.html``: the SR 11-7 (and SR 26-2) model inventory record and validation package of a
model: independence of the validator, conceptual soundness, ongoing monitoring, outcomes
analysis, findings and remediation, approvals, change log; every fact citing its leaf.

``render_sr11_7(context) -> bytes`` is pure: the same context gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from api.exports.context import BundleContext
from api.exports.documents.charts import number
from api.exports.documents.development_records import (
    datasets,
    explanations,
    mitigations,
    refusals,
    training_runs,
    uat_checks,
)
from api.exports.documents.html_page import (
    Section,
    cite,
    fact,
    page,
    paragraph,
    table,
    text,
    to_supply,
)
from api.exports.documents.regulatory_blocks import (
    change_log,
    deployment_history,
    findings,
    monitoring_windows,
    policy_thresholds,
    signed_reports,
    validation_fairness,
    validation_quality,
)
from api.exports.documents.regulatory_evidence import (
    inventory_answer,
    named,
    version_numbers,
    version_of,
    why_answer,
)

__all__ = ["SECTION_HEADINGS", "render_sr11_7"]

SECTION_HEADINGS = (
    "Model inventory record",
    "Independence of the validator",
    "Conceptual soundness",
    "Ongoing monitoring",
    "Outcomes analysis",
    "Findings and remediation",
    "Approvals",
    "Change log",
)

_INVENTORY_FIELDS = (
    ("purpose", "Purpose"),
    ("intended_use", "Intended use"),
    ("restrictions", "Restrictions"),
    ("owner", "Owner"),
    ("developers", "Developers"),
    ("validators", "Validators"),
    ("status", "Status"),
    ("risk_tier", "Risk tier"),
    ("last_validation", "Last validation"),
    ("next_validation", "Next validation"),
    ("open_exceptions", "Open exceptions"),
)

_OUTCOME_METRICS = ("accuracy", "auc_roc", "brier", "approval_rate")


def render_sr11_7(context: BundleContext) -> bytes:
    """The SR 11-7 inventory record and validation package of the bundle's model (UTF-8 HTML)."""
    bodies = (
        _inventory(context),
        _independence(context),
        _soundness(context),
        monitoring_windows(context) + "<h3>Thresholds in force</h3>" + policy_thresholds(context),
        _outcomes(context),
        findings(context),
        _approvals(context),
        change_log(context) + "<h3>Deployments and rollbacks</h3>" + deployment_history(context),
    )
    sections: list[Section] = [
        (f"s{index}", heading, body)
        for index, (heading, body) in enumerate(zip(SECTION_HEADINGS, bodies, strict=True), 1)
    ]
    return page(context, "SR 11-7 model inventory record and validation package", sections)


def _inventory_value(field: str, value: Any) -> Any:
    """An inventory field's value as plain text (escaped by the caller): validations and
    exceptions summarised."""
    if field == "last_validation" and isinstance(value, dict):
        return f"v{value.get('version', '')} {value.get('outcome', '')} at {value.get('at', '')}"
    if field == "open_exceptions" and isinstance(value, dict):
        counts = value.get("by_severity", {})
        listed = "; ".join(
            f"{item.get('severity', '')}: {item.get('title', '')} (v{item.get('version', '')})"
            for item in value.get("open", [])
        )
        summary = ", ".join(f"{key} {counts[key]}" for key in sorted(counts))
        return f"{summary}. {listed}" if listed else summary
    return value


def _inventory(context: BundleContext) -> str:
    entry = inventory_answer(context)
    rows = []
    for field, label in _INVENTORY_FIELDS:
        answer = entry.get(field, {})
        value = _inventory_value(field, answer.get("value", ""))
        rule = answer.get("rule")
        shown = fact(value, answer.get("sources", []))
        if rule and field == "next_validation":
            shown += f"<br><small>rule: {text(rule)}</small>"
        rows.append([text(label), shown])
    return table(["field", "value"], rows)


def _independence(context: BundleContext) -> str:
    """Per version: who developed it and who validated it, and whether they differ."""
    numbers = version_numbers(context)
    developers: dict[int | None, list[tuple[str, int]]] = {}
    validators: dict[int | None, list[tuple[str, int]]] = {}
    for event in named(context, "ModelVersion.Trained"):
        people = developers.setdefault(version_of(numbers, event), [])
        people.append((str(event.state.get("actor", "")), event.leaf_index))
    for event in named(
        context, "ModelVersion.ValidationStarted", "ModelVersion.ValidationConcluded"
    ):
        people = validators.setdefault(version_of(numbers, event), [])
        people.append((str(event.state.get("actor", "")), event.leaf_index))
    rows = []
    for version in sorted(developers, key=lambda found: -1 if found is None else found):
        built = developers[version]
        checked = validators.get(version, [])
        overlap = {name for name, _ in built} & {name for name, _ in checked}
        if not checked:
            verdict = "not validated"
        elif overlap:
            verdict = f"NOT independent: {', '.join(sorted(overlap))} developed and validated"
        else:
            verdict = "independent: the validator is not the developer"
        rows.append(
            [
                text("" if version is None else f"v{version}"),
                fact(sorted({name for name, _ in built}), [leaf for _, leaf in built]),
                fact(sorted({name for name, _ in checked}), [leaf for _, leaf in checked]),
                text(verdict),
            ]
        )
    return (
        table(["version", "developer", "validator", "independence"], rows, "no version trained")
        + "<h3>Segregation of duties enforced: refused commands</h3>"
        + refusals(context)
        + to_supply("the validator's reporting line and organisational independence")
    )


def _soundness(context: BundleContext) -> str:
    return (
        "<h3>Development: data, method, code and environment</h3>"
        + training_runs(context)
        + "<h3>Data</h3>"
        + datasets(context)
        + "<h3>Bias mitigation</h3>"
        + mitigations(context)
        + to_supply(
            "the model's theory, design rationale, assumptions and limitations as documented by "
            "the developer, and the validator's assessment of them",
            "the model developer and the validator",
        )
    )


def _outcomes(context: BundleContext) -> str:
    """Validated quality and fairness against what production monitoring measured."""
    numbers = version_numbers(context)
    rows = []
    for event in named(context, "ModelVersion.MonitoringWindowEvaluated"):
        metrics = event.state.get("metrics", {})
        found = version_of(numbers, event)
        rows.append(
            [
                text("" if found is None else f"v{found}"),
                text(event.state.get("environment")),
                text(event.state.get("end")),
                *(
                    number(metrics[name]) if isinstance(metrics.get(name), (int, float)) else ""
                    for name in _OUTCOME_METRICS
                ),
                cite([event.leaf_index]),
            ]
        )
    headers = ["version", "environment", "window end", *_OUTCOME_METRICS, "leaf"]
    return (
        "<h3>At validation: quality</h3>"
        + validation_quality(context)
        + "<h3>At validation: fairness by group</h3>"
        + validation_fairness(context)
        + "<h3>In operation: outcomes measured on labelled predictions</h3>"
        + table(headers, rows, "no monitoring window recorded")
        + "<h3>Explanations</h3>"
        + explanations(context)
        + "<h3>User acceptance tests</h3>"
        + uat_checks(context)
    )


def _approvals(context: BundleContext) -> str:
    """Signed conclusions and approvals, and each version's gates per environment."""
    rows = [
        [
            text(f"v{version['version']}"),
            text(allowed["environment"]),
            "met" if gate.get("met") else "<strong>not met</strong>",
            fact(gate["statement"], gate["sources"]),
        ]
        for version in why_answer(context)["versions"]
        for allowed in version["allowed"]
        for gate in allowed["gates"]
    ]
    return (
        paragraph("Validation conclusions and approvals with their personal signatures:")
        + signed_reports(context)
        + "<h3>Promotion gates per version and environment</h3>"
        + table(["version", "environment", "gate", "statement"], rows, "no gate evaluated")
    )
