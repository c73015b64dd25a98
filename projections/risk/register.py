"""The risk register: per model version, its open findings, monitoring, approvals, risk
acceptances and residual risk, each with the leaves it rests on.

Document kinds: ``risk.version`` (key ``<model>@<number>``, scope the model) for each version;
``risk.model`` (key and scope the model name: its risk tier, from ``Model.Registered``);
``risk.monitor`` (key the monitor id: its version and kind, from ``Monitor.Registered``);
``risk.policy`` (key ``in_force``: the version and digest of the last ``PolicyHistory.PolicySet``).

- open findings: by severity and listed (``projections.risk.findings``);
- monitoring: per environment and monitor kind, the latest window (``projections.risk.monitoring``);
- approvals: each signed decision (who, granted or rejected, signed when, key id) and when it
  expires: ``APPROVAL_VALIDITY_MONTHS`` after it was signed; ``revoked`` is None, or, once the
  approver revoked a granted approval (``ApprovalRevoked``), who, why, when signed, with which
  key and at which ``leaf`` (also in the approval's ``sources``). The policy document has no
  approval validity (docs/events.md section 4 allows no such member), so this is the default;
- risk acceptances: finding, approver, rationale, signed when, key id;
- residual risk: ``projections.risk.rating.residual_risk`` (its rule is in each row).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from domain.rules.policy import default_policy_document, policy_digest
from projections.catalog import version_name
from projections.errors import NotFoundError
from projections.events import event_name
from projections.read_state import ReadState, ReadView
from projections.risk.dates import months_after
from projections.risk.findings import (
    finding_subject,
    is_finding_event,
    open_exceptions,
    updated_finding,
)
from projections.risk.monitoring import FLAGS, flagged, judged_window, kinds_judged
from projections.risk.rating import RESIDUAL_RISK_RULE, residual_risk

__all__ = [
    "APPROVAL_VALIDITY_MONTHS",
    "MODEL",
    "MONITOR",
    "POLICY",
    "VERSION",
    "RiskRegisterProjection",
    "risk_register",
]

VERSION = "risk.version"
MODEL = "risk.model"
MONITOR = "risk.monitor"
POLICY = "risk.policy"
APPROVAL_VALIDITY_MONTHS = 12
"""An approval expires this many months after it was signed (the policy sets no validity)."""

_DECISIONS = {
    "ModelVersion.ApprovalGranted": "granted",
    "ModelVersion.ApprovalRejected": "rejected",
}
_REVOKED = "ModelVersion.ApprovalRevoked"
_WINDOWS = ("ModelVersion.MonitoringWindowEvaluated", "ModelVersion.MonitoringRecorded")


class RiskRegisterProjection:
    """Keeps one ``risk.version`` document per model version, updated at each event about it."""

    name = "risk_register"

    def apply(self, event: Any, state: ReadState) -> None:
        """Fold an event about a version, its findings, monitors or the policy into the register."""
        name = event_name(event)
        leaf = state.position.leaf_index
        if name == "Model.Registered":
            tier = {"risk_tier": {"value": event.risk_tier, "sources": [leaf]}}
            state.put(MODEL, event.name, tier, scope=event.name)
        elif name == "PolicyHistory.PolicySet":
            policy = {"version": event.policy_version, "digest": event.digest, "sources": [leaf]}
            state.put(POLICY, "in_force", policy)
        elif name == "ModelVersion.Trained":
            self._trained(event, state, leaf)
        elif is_finding_event(event):
            self._finding(event, state, leaf)
        elif name.startswith("Monitor."):
            self._monitor(name, event, state, leaf)
        elif name in _DECISIONS or name == _REVOKED or name in _WINDOWS or name in FLAGS:
            version = version_name(state, event.originator_id)
            if version is not None:
                key = f"{version.model}@{version.number}"
                _update(state, key, lambda r: _version_change(r, name, event, state))

    @staticmethod
    def _trained(event: Any, state: ReadState, leaf: int) -> None:
        version = version_name(state, event.originator_id)
        model = None if version is None else state.get(MODEL, version.model)
        if version is None or model is None:
            return
        record = {
            "model": version.model,
            "version": version.number,
            "trained": leaf,
            "risk_tier": model["risk_tier"],
            "findings": {},
            "monitoring": {},
            "approvals": [],
        }
        state.put(VERSION, f"{version.model}@{version.number}", record, scope=version.model)

    @staticmethod
    def _finding(event: Any, state: ReadState, leaf: int) -> None:
        subject = finding_subject(state, event)
        if subject is None:
            return
        key, finding_id = f"{subject['model']}@{subject['number']}", str(event.originator_id)

        def change(record: dict[str, Any]) -> None:
            found = record["findings"].get(finding_id)
            record["findings"][finding_id] = updated_finding(found, event, subject, leaf)

        _update(state, key, change)

    @staticmethod
    def _monitor(name: str, event: Any, state: ReadState, leaf: int) -> None:
        if name == "Monitor.Registered":
            version = version_name(state, event.model_version_id)
            if version is not None:
                body = {
                    "version": f"{version.model}@{version.number}",
                    "kind": event.kind,
                    "environment": event.environment,
                }
                state.put(MONITOR, str(event.originator_id), body, scope=version.model)
            return
        monitor = state.get(MONITOR, str(event.originator_id))
        if name == "Monitor.WindowEvaluated" and monitor is not None:
            position = state.position
            _update(
                state,
                monitor["version"],
                lambda r: judged_window(
                    r["monitoring"],
                    event,
                    kinds=[monitor["kind"]],
                    recorded_at=position.recorded_at,
                    leaf=leaf,
                    environment=monitor["environment"],
                ),
            )


def _update(state: ReadState, key: str, change: Callable[[dict[str, Any]], None]) -> None:
    record = state.get(VERSION, key)
    if record is not None:
        change(record)
        state.put(VERSION, key, record, scope=record["model"])


def _version_change(record: dict[str, Any], name: str, event: Any, state: ReadState) -> None:
    at, leaf = state.position.recorded_at, state.position.leaf_index
    if name in _DECISIONS:
        record["approvals"].append(
            {
                "approver": event.actor,
                "decision": _DECISIONS[name],
                "signed_at": event.signed_at,
                "keyid": event.keyid,
                "expires": months_after(event.signed_at, APPROVAL_VALIDITY_MONTHS),
                "revoked": None,
                "sources": [leaf],
            }
        )
    elif name == _REVOKED:
        _revoke(record["approvals"], event, leaf)
    elif name in FLAGS:
        flagged(record["monitoring"], name, event, at, leaf)
    else:
        kinds = kinds_judged(event.metrics)
        judged_window(
            record["monitoring"],
            event,
            kinds=kinds,
            recorded_at=at,
            leaf=leaf,
            environment=event.environment,
        )


def _revoke(approvals: list[dict[str, Any]], event: Any, leaf: int) -> None:
    """Mark the approver's granted approvals that stand revoked, citing the revocation."""
    for approval in approvals:
        if (
            approval["approver"] == event.actor
            and approval["decision"] == "granted"
            and approval.get("revoked") is None
        ):
            approval["revoked"] = {
                "by": event.actor,
                "reason": event.reason,
                "signed_at": event.signed_at,
                "keyid": event.keyid,
                "leaf": leaf,
            }
            approval["sources"] = [*approval["sources"], leaf]


def risk_register(view: ReadView, as_of: int, model: str | None = None) -> dict[str, Any]:
    """Every model version (of ``model`` when given) at log size ``as_of``, by model and
    number, with the policy in force; NotFoundError for a model not registered then."""
    if model is not None and view.document(MODEL, model, as_of) is None:
        known = [found.key for found in view.documents(MODEL, as_of)]
        raise NotFoundError(
            f"no model {model!r} at log size {as_of}; registered: {', '.join(known) or 'none'}"
        )
    rows = [_row(document.body) for document in view.documents(VERSION, as_of, scope=model)]
    return {
        "policy": _policy_in_force(view, as_of),
        "rows": sorted(rows, key=lambda row: (row["model"], row["version"])),
    }


def _policy_in_force(view: ReadView, as_of: int) -> dict[str, Any]:
    found = view.document(POLICY, "in_force", as_of)
    if found is not None:
        return dict(found.body)
    default = default_policy_document()
    return {"version": default["version"], "digest": policy_digest(default), "sources": []}


def _row(record: Mapping[str, Any]) -> dict[str, Any]:
    findings = list(record["findings"].values())
    row: dict[str, Any] = {
        "model": record["model"],
        "version": record["version"],
        "risk_tier": record["risk_tier"],
        "open_findings": open_exceptions(findings),
        "monitoring": record["monitoring"],
        "approvals": record["approvals"],
        "risk_acceptances": _acceptances(findings),
        "residual_risk": _residual(record["risk_tier"], findings, record["monitoring"]),
    }
    leaves = {record["trained"], *row["risk_tier"]["sources"], *row["open_findings"]["sources"]}
    for item in [*_verdicts(record["monitoring"]), *row["approvals"], *row["risk_acceptances"]]:
        leaves.update(item["sources"])
    row["sources"] = sorted(leaves)
    return row


def _acceptances(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    accepted = [f for f in findings if "acceptance" in f]
    return [
        {"finding": f["id"], "title": f["title"], "severity": f["severity"], **f["acceptance"]}
        for f in sorted(accepted, key=lambda f: (f["acceptance"]["signed_at"], f["id"]))
    ]


def _verdicts(monitoring: Mapping[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [verdict for by_kind in monitoring.values() for verdict in by_kind.values()]


def _residual(
    tier: Mapping[str, Any],
    findings: list[Mapping[str, Any]],
    monitoring: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    serious = [f for f in findings if f["severity"] in ("critical", "high")]
    still_open = [f for f in serious if f["status"] not in ("risk_accepted", "closed")]
    accepted = [f for f in serious if "acceptance" in f]
    breached = [v for v in _verdicts(monitoring) if v["status"] == "breached"]
    rating, score = residual_risk(
        tier=tier["value"],
        open_critical=sum(f["severity"] == "critical" for f in still_open),
        open_high=sum(f["severity"] == "high" for f in still_open),
        accepted_high_or_critical=len(accepted),
        monitoring_breached=bool(breached),
    )
    leaves = {*tier["sources"]}
    for item in [*still_open, *accepted, *breached]:
        leaves.update(item["sources"])
    return {"rating": rating, "score": score, "rule": RESIDUAL_RISK_RULE, "sources": sorted(leaves)}
