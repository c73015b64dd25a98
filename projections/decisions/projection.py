"""The "why" read model: per model version, the facts that make it allowed where it runs.

``DecisionProjection`` keeps one document per version (kind ``why.version``, key
``"<model>@<number>"``, scope the model) holding, each with the leaves it comes from:

- ``facts``: statements in log order (``projections.decisions.facts``): training and lineage,
  mitigation, validation and its assessments, signed conclusions, approval decisions and their
  revocations, UAT evidence, each deployment followed by the gates it passed
  (``projections.decisions.gates``, under the policy in force and the model's risk tier at that
  leaf), rollbacks, retirement;
- what the gates read: the latest ``validation``, the ``decisions`` (a revoked approval keeps
  its place with ``"revoked": {"by", "reason", "sources"}`` and no longer counts), the ``uat``
  evidence,
  the ``findings`` of the version (raised, accepted with signature, remediated, closed);
- ``live``: environment -> deployment (who, when, leaf, policy, gates passed) where the version
  runs now;
- ``monitoring``: environment -> the latest window recorded since its deployment there.

It also keeps ``why.model`` (risk tier by model name), ``why.policy`` (key ``in_force``: the
last policy document set) and ``why.key`` (key id -> the leaf revoking it), so the query can
state the gates a version would face and the status of each signature as of its log size.
The catalog projection must run first.
"""

from __future__ import annotations

from typing import Any

from projections.catalog import FINDING, VERSION
from projections.decisions.facts import Statement, revocation_fact, version_fact
from projections.decisions.gates import gate_statements, policy_in_force
from projections.events import event_name
from projections.read_state import ReadState

__all__ = ["KEY", "MODEL", "POLICY", "POLICY_KEY", "VERSION_KIND", "DecisionProjection"]

VERSION_KIND = "why.version"
"""``<model>@<number>`` -> the version's facts and gate inputs (see the module docstring)."""
MODEL = "why.model"
"""Model name -> ``{"risk_tier", "sources"}``."""
POLICY = "why.policy"
"""``in_force`` -> ``{"version", "digest", "document", "sources"}``."""
POLICY_KEY = "in_force"
KEY = "why.key"
"""Personal key id -> ``{"revoked_at", "sources"}``, from its revocation on."""


class DecisionProjection:
    """Keeps why each model version is allowed (or not) where it runs."""

    name = "why"

    def apply(self, event: Any, state: ReadState) -> None:
        """Record what ``event`` states about a version, a model's tier, the policy or a key."""
        name = event_name(event)
        leaf = state.position.leaf_index
        if name == "Model.Registered":
            body = {"risk_tier": event.risk_tier, "sources": [leaf]}
            state.put(MODEL, event.name, body, scope=event.name)
        elif name == "PolicyHistory.PolicySet":
            body = {
                "version": event.policy_version,
                "digest": event.digest,
                "document": dict(event.document),
                "sources": [leaf],
            }
            state.put(POLICY, POLICY_KEY, body)
        elif name == "Principal.KeyRevoked":
            state.put(KEY, event.keyid, {"revoked_at": leaf, "sources": [leaf]})
        elif name.startswith("ModelVersion."):
            _version_event(name.removeprefix("ModelVersion."), event, state)
        elif name.startswith("Finding."):
            _finding_event(name.removeprefix("Finding."), event, state)


def _version_event(name: str, event: Any, state: ReadState) -> None:
    known = state.get(VERSION, str(event.originator_id))
    if known is None:
        return
    key = f"{known['model']}@{known['number']}"
    body = _new_version(event, known) if name == "Trained" else state.get(VERSION_KIND, key)
    if body is None:
        return
    if name == "ApprovalRevoked":
        fact: Statement | None = _revoke(event, body, state.position.leaf_index)
    else:
        fact = version_fact(name, event, state)
    if fact is not None:
        body["facts"].append(fact)
    _update(name, event, body, state)
    state.put(VERSION_KIND, key, body, scope=known["model"])


def _new_version(event: Any, known: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": known["model"],
        "number": known["number"],
        "version_id": str(event.originator_id),
        "artifact_digest": event.artifact_digest,
        "facts": [],
        "validation": None,
        "decisions": [],
        "uat": [],
        "findings": {},
        "live": {},
        "monitoring": {},
        "retired": None,
    }


def _update(name: str, event: Any, body: dict[str, Any], state: ReadState) -> None:
    """Keep what the gates and the query read, as of this event."""
    position = state.position
    leaf = position.leaf_index
    if name == "ValidationStarted":
        body["validation"] = {"outcome": "", "by": event.actor, "sources": [leaf]}
    elif name == "ValidationConcluded" and body["validation"] is not None:
        body["validation"]["outcome"] = event.outcome
        body["validation"]["sources"].append(leaf)
    elif name in ("ApprovalGranted", "ApprovalRejected"):
        decision = {"approver": event.actor, "granted": name == "ApprovalGranted"}
        decision |= {"artifact_digest": event.artifact_digest, "sources": [leaf]}
        body["decisions"].append(decision)
    elif name == "UatEvidenceRecorded":
        evidence = {"kind": event.kind, "passed": bool(event.passed), "sources": [leaf]}
        body["uat"].append(evidence | {"artifact_digest": event.artifact_digest})
    elif name == "Deployed":
        _deploy(event, body, state)
    elif name == "RolledBack":
        body["live"].pop(event.environment, None)
    elif name == "Retired":
        body["live"] = {}
        body["retired"] = {"by": event.actor, "sources": [leaf]}
    elif name in ("MonitoringRecorded", "MonitoringWindowEvaluated"):
        window: dict[str, Any] = {
            "breaches": list(event.breaches),
            "warnings": list(getattr(event, "warnings", [])),
            "start": getattr(event, "start", ""),
            "end": getattr(event, "end", ""),
        }
        body["monitoring"][event.environment] = window | {"sources": [leaf]}


def _revoke(event: Any, body: dict[str, Any], leaf: int) -> Statement:
    """Mark the approver's standing approvals of the artifact revoked; the revocation's
    statement, citing them."""
    revoked = [
        decision
        for decision in body["decisions"]
        if decision["granted"]
        and "revoked" not in decision
        and decision["approver"] == event.actor
        and decision["artifact_digest"] == event.artifact_digest
    ]
    for decision in revoked:
        decision["revoked"] = {"by": event.actor, "reason": event.reason, "sources": [leaf]}
    granted = [decision["sources"][0] for decision in revoked]
    return revocation_fact(event, granted, leaf)


def _deploy(event: Any, body: dict[str, Any], state: ReadState) -> None:
    """The gates the deployment passed, stated after it, under the policy and tier in force."""
    policy = policy_in_force(state.get(POLICY, POLICY_KEY))
    model = state.get(MODEL, body["model"]) or {"risk_tier": "high", "sources": []}
    gates = gate_statements(body, event.environment, policy=policy, model=model)
    body["facts"] += gates
    position = state.position
    body["live"][event.environment] = {
        "by": event.actor,
        "at": position.recorded_at,
        "policy": policy["version"],
        "gates": gates,
        "sources": [position.leaf_index],
    }
    body["monitoring"].pop(event.environment, None)


def _finding_event(name: str, event: Any, state: ReadState) -> None:
    finding_id = str(event.originator_id)
    known = state.get(FINDING, finding_id)
    if known is None:
        return
    key = f"{known['model']}@{known['number']}"
    body = state.get(VERSION_KIND, key)
    if body is None:
        return
    leaf = state.position.leaf_index
    if name == "Raised":
        body["findings"][finding_id] = {
            "title": event.title,
            "severity": event.severity,
            "raised_by": event.actor,
            "raised": leaf,
            "status": "open",
            "sources": [leaf],
        }
    elif finding_id in body["findings"]:
        _progress(name, event, body["findings"][finding_id], leaf)
    else:
        return
    state.put(VERSION_KIND, key, body, scope=known["model"])


def _progress(name: str, event: Any, finding: dict[str, Any], leaf: int) -> None:
    """A raised finding's later events: who did what, at which leaf."""
    finding["sources"].append(leaf)
    step: dict[str, Any] = {"by": event.actor, "leaf": leaf}
    if name == "Assigned":
        finding["assignee"] = event.assignee
        finding["status"] = "assigned" if finding["status"] == "open" else finding["status"]
    elif name == "Remediated":
        finding["remediated"] = step | {"description": event.description}
        finding["status"] = "remediated" if not finding.get("accepted") else finding["status"]
    elif name == "RiskAccepted":
        signature = {"signer": event.actor, "keyid": event.keyid, "signed_at": event.signed_at}
        finding["accepted"] = step | {"rationale": event.rationale, "signature": signature}
        finding["status"] = "risk_accepted"
    elif name == "Closed":
        finding["closed"] = step
        finding["status"] = "closed"
