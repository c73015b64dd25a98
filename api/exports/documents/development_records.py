"""Blocks of evidence about how a model was built, recorded and overseen: datasets, training
runs, bias mitigation, UAT checks, explanations, the sealed prediction log (Art. 12), the
people who approve, deploy and roll back (Art. 14) and refused commands. Safe HTML citing leaves."""

from __future__ import annotations

from api.exports.context import BundleContext
from api.exports.documents.charts import number
from api.exports.documents.html_page import cite, fact, item_list, paragraph, table, text
from api.exports.documents.regulatory_evidence import (
    named,
    principals,
    version_numbers,
    version_of,
)

__all__ = [
    "datasets",
    "explanations",
    "human_oversight",
    "mitigations",
    "prediction_segments",
    "refusals",
    "training_runs",
    "uat_checks",
]

_OVERSIGHT_ROLES = ("approver", "deployer", "model_owner", "validator")


def datasets(context: BundleContext) -> str:
    """The datasets and dataset versions the bundle carries: description, digest, rows,
    protected attributes, licence."""
    rows = []
    for event in named(context, "Dataset.Registered", "Dataset.VersionAdded"):
        state = event.state
        if event.name == "Dataset.Registered":
            detail = f"registered: {state.get('name', '')}: {state.get('description', '')}"
        else:
            detail = (
                f"version {state.get('digest', '')}: {state.get('row_count', '')} rows, "
                f"protected attributes {', '.join(state.get('protected_attributes', []))}, "
                f"licence {state.get('license', '')}"
            )
        rows.append([text(state.get("actor")), text(detail), cite([event.leaf_index])])
    return table(["recorded by", "dataset", "leaf"], rows, "no dataset in the bundle")


def training_runs(context: BundleContext) -> str:
    """Each training: data used, code version, environment, artifact, holdout metrics."""
    numbers = version_numbers(context)
    rows = []
    for event in named(context, "ModelVersion.Trained"):
        state = event.state
        found = version_of(numbers, event)
        used = [
            f"{item.get('dataset', '')} v{item.get('version', '')} ({item.get('digest', '')})"
            for item in state.get("dataset_versions", [])
        ]
        environment = state.get("environment", {})
        packages = ", ".join(f"{key} {value}" for key, value in sorted(environment.items()))
        metrics = ", ".join(
            f"{key} {number(value)}"
            for key, value in sorted(state.get("metrics", {}).items())
            if isinstance(value, (int, float))
        )
        rows.append(
            [
                text("" if found is None else f"v{found}"),
                text(state.get("actor")),
                text(used),
                f"<code>{text(state.get('code_version'))}</code>",
                text(packages),
                f"<code>{text(state.get('artifact_digest'))}</code>",
                text(metrics),
                cite([event.leaf_index]),
            ]
        )
    headers = ["version", "trained by", "data", "code", "environment", "artifact", "holdout"]
    return table([*headers, "leaf"], rows, "no training recorded")


def mitigations(context: BundleContext) -> str:
    """Bias mitigations: method, attribute, fairness before and after."""
    rows = []
    for event in named(context, "ModelVersion.BiasMitigated"):
        state = event.state
        change = [
            f"{name} {number(before)} -> {number(state.get('after', {}).get(name, before))}"
            for name, before in sorted(state.get("before", {}).items())
            if isinstance(before, (int, float))
        ]
        rows.append(
            [
                text(state.get("actor")),
                text(f"{state.get('method', '')} on {state.get('sensitive_attribute', '')}"),
                text(change),
                cite([event.leaf_index]),
            ]
        )
    return table(["by", "method", "before -> after", "leaf"], rows, "no bias mitigation recorded")


def uat_checks(context: BundleContext) -> str:
    """User acceptance checks of artifacts before production."""
    rows = [
        [
            text(event.state.get("kind")),
            "passed" if event.state.get("passed") else "failed",
            f"<code>{text(event.state.get('artifact_digest'))}</code>",
            text(event.state.get("actor")),
            text(event.recorded_at),
            cite([event.leaf_index]),
        ]
        for event in named(context, "ModelVersion.UatEvidenceRecorded")
    ]
    headers = ["check", "result", "artifact", "recorded by", "at", "leaf"]
    return table(headers, rows, "no UAT check recorded")


def explanations(context: BundleContext) -> str:
    """Recorded explanations of individual predictions (method, seed, fidelity)."""
    rows = [
        [
            text(event.state.get("prediction_ref")),
            text(event.state.get("method")),
            text(event.state.get("seed")),
            number(float(event.state.get("fidelity", 0.0))),
            cite([event.leaf_index]),
        ]
        for event in named(context, "Explanation.Recorded")
    ]
    headers = ["prediction", "method", "seed", "fidelity", "leaf"]
    return table(headers, rows, "no explanation recorded")


def prediction_segments(context: BundleContext) -> str:
    """Art. 12: the sealed segments of the prediction log (count, period, Merkle root) and
    where the bundle's extract of it is (``predictions.jsonl``)."""
    environments = {
        event.payload.aggregate_id: str(event.state.get("environment", ""))
        for event in named(context, "PredictionLog.Opened")
    }
    sealed = named(context, "PredictionLog.SegmentSealed")
    rows = [
        [
            text(environments.get(event.payload.aggregate_id, "")),
            text(event.state.get("sequence")),
            text(event.state.get("record_count")),
            text(f"{event.state.get('start', '')} to {event.state.get('end', '')}"),
            f"<code>{text(event.state.get('merkle_root'))}</code>",
            cite([event.leaf_index]),
        ]
        for event in sealed
    ]
    total = sum(int(event.state.get("record_count", 0)) for event in sealed)
    summary = paragraph(
        f"{len(sealed)} prediction log segment(s) sealed, {total} prediction record(s) in all "
        f"{cite(event.leaf_index for event in sealed)}. The bundle's "
        "<code>predictions.jsonl</code> is an extract of this log: each record with its "
        "inclusion proof against its segment's sealed Merkle root, and each segment's leaf."
    )
    headers = ["environment", "segment", "records", "period", "Merkle root", "leaf"]
    return summary + table(headers, rows, "no prediction log segment sealed")


def human_oversight(context: BundleContext) -> str:
    """Art. 14: who approved each version, who may stop or roll back the model (principals
    holding the deployer or approver role), and the rollbacks recorded."""
    approvals = [
        fact(
            f"{event.state.get('actor', '')} approved {event.state.get('artifact_digest', '')}",
            [event.leaf_index],
        )
        for event in named(context, "ModelVersion.ApprovalGranted")
    ]
    people = [
        [text(name), text(roles), cite(leaves)]
        for name, roles, leaves in principals(context)
        if any(role in _OVERSIGHT_ROLES for role in roles)
    ]
    rollbacks = [
        fact(
            f"{event.state.get('actor', '')} rolled back {event.state.get('environment', '')} "
            f"at {event.recorded_at}",
            [event.leaf_index],
        )
        for event in named(context, "ModelVersion.RolledBack")
    ]
    return (
        "<h3>Approvals</h3>"
        + (item_list(approvals) or paragraph("No approval recorded."))
        + "<h3>Who can stop or roll back the model</h3>"
        + paragraph(
            "Principals holding the deployer role may deploy, roll back and retire; "
            "approvers may grant, reject or revoke approvals:"
        )
        + table(["principal", "roles", "leaf"], people, "no such principal in the bundle")
        + "<h3>Rollbacks recorded</h3>"
        + (item_list(rollbacks) or paragraph("No rollback recorded."))
    )


def refusals(context: BundleContext) -> str:
    """Commands the ledger refused (segregation of duties and other rules), with the reason."""
    rows = [
        [
            text(event.state.get("actor")),
            text(event.state.get("command")),
            text(event.state.get("reason")),
            cite([event.leaf_index]),
        ]
        for event in named(context, "CommandRefusal.CommandRefused")
    ]
    return table(["actor", "command", "reason", "leaf"], rows, "no command refused")
