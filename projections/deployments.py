"""Deployments: which versions of each model run in dev, uat and prod, since when, by whom and
under which signed approvals, and the history of deploys, rollbacks and retirements.

What the domain says (``ModelVersion`` and ``ReleaseCommands``): each version keeps its own set
of environments. ``deploy`` adds one, ``roll_back`` removes one, ``retire`` removes them all.
Deploying v3 to prod does NOT take v2 out of prod: both run there until a rollback or
retirement says otherwise, so an environment may hold several live versions, and rolling v3
back leaves prod with v2 if v2 never left it. Deploying a version already live there again
changes nothing but adds its leaf to the row's sources (it has run since the first deploy).

Documents (scope: the model's name):

- ``deployments.live`` ``{model}/{environment}`` -> ``{"model", "environment", "versions":
  [live version...]}``; ended when its last live version leaves the environment;
- ``deployments.approvals`` version id -> ``{"granted": [approval...]}``; a deployed version's
  approvals are those standing at the deploy (granted before it, not revoked) on the artifact
  digest it deployed. When an approver revokes their approval (``ApprovalRevoked``), the
  version keeps running (the domain leaves rollback to the deployer); the approval is marked
  ``"revoked": {"by", "reason", "leaf"}`` in ``granted`` and in every live row showing it,
  whose ``sources`` then cite the revocation;
- ``deployments.history`` model -> ``{"events": [deployed | rolled_back | retired...]}``.
"""

from __future__ import annotations

from typing import Any

from domain.rules.vocabulary import Environment
from projections.catalog import version_name
from projections.events import event_name
from projections.read_state import ReadState, ReadView
from projections.timeline import require_model

__all__ = ["APPROVALS", "HISTORY", "LIVE", "DeploymentsProjection", "deployments"]

LIVE = "deployments.live"
APPROVALS = "deployments.approvals"
HISTORY = "deployments.history"

_ENVIRONMENTS = [environment.value for environment in Environment]
"""dev, uat, prod: the order rows are listed in."""


class DeploymentsProjection:
    """Keeps the live versions per model and environment, their approvals and their history."""

    name = "deployments"

    def apply(self, event: Any, state: ReadState) -> None:
        """Record an approval, a deploy, a rollback or a retirement."""
        name = event_name(event)
        if not name.startswith("ModelVersion."):
            return
        version = version_name(state, event.originator_id)
        if version is None:
            return
        if name == "ModelVersion.ApprovalGranted":
            _record_approval(event, state, version.model)
        elif name == "ModelVersion.ApprovalRevoked":
            revoked = _revoke_approval(event, state, version.model)
            _mark_live_approvals(state, version.model, version.number, revoked)
        elif name == "ModelVersion.Deployed":
            _deploy(event, state, version.model, version.number)
        elif name == "ModelVersion.RolledBack":
            if _leave(state, version.model, event.environment, version.number):
                _record_history(state, event, version.model, version.number, event.environment)
        elif name == "ModelVersion.Retired":
            left: list[str | None] = [
                environment
                for environment in _ENVIRONMENTS
                if _leave(state, version.model, environment, version.number)
            ]
            for environment in left or [None]:
                _record_history(state, event, version.model, version.number, environment)


def deployments(view: ReadView, as_of: int, model: str | None = None) -> dict[str, Any]:
    """The live versions (of ``model``, or of every model) as of log size ``as_of``, one row per
    model, environment and version, and the history of their deploys, rollbacks and
    retirements; NotFoundError if ``model`` is not registered then."""
    if model is not None:
        require_model(view, as_of, model)
    rows = [
        {
            "model": document.body["model"],
            "environment": document.body["environment"],
            **live,
        }
        for document in view.documents(LIVE, as_of, scope=model)
        for live in document.body["versions"]
    ]
    rows.sort(
        key=lambda row: (row["model"], _ENVIRONMENTS.index(row["environment"]), row["version"])
    )
    history = [
        {"model": document.key, **happened, "sources": [happened["leaf"]]}
        for document in view.documents(HISTORY, as_of, scope=model)
        for happened in document.body["events"]
    ]
    return {"rows": rows, "history": history}


def _row_order(row: dict[str, Any]) -> tuple[str, int, int]:
    return (row["model"], _ENVIRONMENTS.index(row["environment"]), row["version"])


def _record_approval(event: Any, state: ReadState, model: str) -> None:
    key = str(event.originator_id)
    granted = (state.get(APPROVALS, key) or {"granted": []})["granted"]
    granted.append(
        {
            "approver": event.actor,
            "keyid": event.keyid,
            "signed_at": event.signed_at,
            "artifact_digest": event.artifact_digest,
            "leaf": state.position.leaf_index,
        }
    )
    state.put(APPROVALS, key, {"granted": granted}, scope=model)


def _revoke_approval(event: Any, state: ReadState, model: str) -> dict[int, dict[str, Any]]:
    """Mark the approver's standing approvals of the artifact revoked; the revocation of each,
    by the leaf of the approval."""
    key = str(event.originator_id)
    granted = (state.get(APPROVALS, key) or {"granted": []})["granted"]
    revocation = {"by": event.actor, "reason": event.reason, "leaf": state.position.leaf_index}
    revoked: dict[int, dict[str, Any]] = {}
    for approval in granted:
        if (
            approval["approver"] == event.actor
            and approval["artifact_digest"] == event.artifact_digest
            and "revoked" not in approval
        ):
            approval["revoked"] = revocation
            revoked[approval["leaf"]] = revocation
    if revoked:
        state.put(APPROVALS, key, {"granted": granted}, scope=model)
    return revoked


def _mark_live_approvals(
    state: ReadState, model: str, number: int, revoked: dict[int, dict[str, Any]]
) -> None:
    """Mark the ``revoked`` approvals (by leaf) in the rows where version ``number`` runs."""
    for environment in _ENVIRONMENTS:
        key = f"{model}/{environment}"
        document = state.get(LIVE, key)
        running = [] if document is None else document["versions"]
        changed = False
        for live in (live for live in running if live["version"] == number):
            for approval in live["approvals"]:
                if approval["leaf"] in revoked:
                    approval["revoked"] = revoked[approval["leaf"]]
                    changed = True
            if changed:
                live["sources"].append(state.position.leaf_index)
        if document is not None and changed:
            state.put(LIVE, key, document, scope=model)


def _deploy(event: Any, state: ReadState, model: str, number: int) -> None:
    key = f"{model}/{event.environment}"
    document = state.get(LIVE, key) or {
        "model": model,
        "environment": event.environment,
        "versions": [],
    }
    leaf = state.position.leaf_index
    running = [live for live in document["versions"] if live["version"] == number]
    if running:
        running[0]["sources"].append(leaf)
    else:
        document["versions"].append(_live_version(event, state, number))
        document["versions"].sort(key=lambda live: live["version"])
    state.put(LIVE, key, document, scope=model)
    _record_history(state, event, model, number, event.environment)


def _live_version(event: Any, state: ReadState, number: int) -> dict[str, Any]:
    leaf = state.position.leaf_index
    granted = (state.get(APPROVALS, str(event.originator_id)) or {"granted": []})["granted"]
    approvals = [
        approval
        for approval in granted
        if approval["artifact_digest"] == event.artifact_digest and "revoked" not in approval
    ]
    return {
        "version": number,
        "artifact_digest": event.artifact_digest,
        "since": state.position.recorded_at,
        "since_leaf": leaf,
        "deployed_by": event.actor,
        "approvals": approvals,
        "sources": [leaf, *(approval["leaf"] for approval in approvals)],
    }


def _leave(state: ReadState, model: str, environment: str, number: int) -> bool:
    """Take version ``number`` out of ``environment``; False if it was not live there."""
    key = f"{model}/{environment}"
    document = state.get(LIVE, key)
    if document is None:
        return False
    staying = [live for live in document["versions"] if live["version"] != number]
    if len(staying) == len(document["versions"]):
        return False
    if staying:
        state.put(LIVE, key, {**document, "versions": staying}, scope=model)
    else:
        state.delete(LIVE, key)
    return True


def _record_history(
    state: ReadState, event: Any, model: str, number: int, environment: str | None
) -> None:
    actions = {
        "ModelVersion.Deployed": "deployed",
        "ModelVersion.RolledBack": "rolled_back",
        "ModelVersion.Retired": "retired",
    }
    events = (state.get(HISTORY, model) or {"events": []})["events"]
    events.append(
        {
            "action": actions[event_name(event)],
            "environment": environment,
            "version": number,
            "at": state.position.recorded_at,
            "leaf": state.position.leaf_index,
            "by": event.actor,
        }
    )
    state.put(HISTORY, model, {"events": events}, scope=model)
