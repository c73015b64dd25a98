"""The "why" query: why a model version is allowed (or not) where it runs, as of a log size.

``why(view, as_of, model, version)`` answers, for the version asked (or, without one, every
version live somewhere at ``as_of``, prod first, else the latest version)::

    {"model", "risk_tier": {"tier", "sources"}, "policy": {"version", "sources"},
     "versions": [{"version", "environments": [live ones],
                   "allowed": [{"environment", "live", "allowed", "reason", "gates"}],
                   "statements": [{"statement", "kind", "sources", ...}]}]}

Every statement cites the leaves it comes from. A signed statement states its signature's
status as of ``as_of``: verified when recorded (the domain records only a signature that
verified against the signer's registered key) and, once that key was revoked, the revocation's
leaf. Environments where the version does not run are judged by the gates it would face now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.rules.vocabulary import Environment
from projections.decisions.facts import Statement, statement
from projections.decisions.gates import PolicyInForce, gate_statements, policy_in_force
from projections.decisions.projection import KEY, MODEL, POLICY, POLICY_KEY, VERSION_KIND
from projections.errors import NotFoundError
from projections.read_state import ReadView, Versioned

__all__ = ["why"]

ENVIRONMENTS = (Environment.PROD.value, Environment.UAT.value, Environment.DEV.value)
"""The order environments are explained in: prod first."""


def why(view: ReadView, as_of: int, model: str, version: int | None = None) -> dict[str, Any]:
    """Why ``version`` of ``model`` (or each version live at ``as_of``) is allowed or not."""
    tier = view.document(MODEL, model, as_of)
    if tier is None:
        known = ", ".join(doc.key for doc in view.documents(MODEL, as_of)) or "none"
        raise NotFoundError(f"no model {model!r} at log size {as_of}; models: {known}")
    recorded = view.document(POLICY, POLICY_KEY, as_of)
    policy = policy_in_force(None if recorded is None else recorded.body)
    bodies = {
        doc.body["number"]: doc.body for doc in view.documents(VERSION_KIND, as_of, scope=model)
    }
    chosen = _chosen(bodies, model, version, as_of)
    keyids = {
        fact["signature"]["keyid"]
        for body in chosen
        for fact in body["facts"]
        if fact.get("signature") is not None
    }
    context = _Context(as_of, policy, tier.body, view.documents_by_keys(KEY, keyids, as_of))
    return {
        "model": model,
        "risk_tier": {"tier": tier.body["risk_tier"], "sources": tier.body["sources"]},
        "policy": {"version": policy["version"], "sources": policy["sources"]},
        "versions": [context.explain(body) for body in chosen],
    }


def _chosen(
    bodies: Mapping[int, Mapping[str, Any]], model: str, version: int | None, as_of: int
) -> list[Mapping[str, Any]]:
    """The version asked for; else those live somewhere, prod first; else the latest."""
    if version is not None:
        if version not in bodies:
            known = ", ".join(str(number) for number in sorted(bodies)) or "none"
            raise NotFoundError(
                f"model {model!r} has no version {version} at log size {as_of}; versions: {known}"
            )
        return [bodies[version]]
    live = [body for body in bodies.values() if body["live"]]
    if live:
        return sorted(live, key=lambda body: (_first_environment(body), -body["number"]))
    return [bodies[max(bodies)]] if bodies else []


def _first_environment(body: Mapping[str, Any]) -> int:
    return min(ENVIRONMENTS.index(environment) for environment in body["live"])


class _Context:
    """What every explanation of one answer shares: its size, the policy, the tier and the
    revocations of the keys that signed."""

    def __init__(
        self,
        as_of: int,
        policy: PolicyInForce,
        model: Mapping[str, Any],
        revoked_keys: Mapping[str, Versioned],
    ) -> None:
        self.revoked_keys = revoked_keys
        self.as_of = as_of
        self.policy = policy
        self.model = model

    def explain(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """One version's environments, verdicts and statements."""
        statements = [self._signed(fact) for fact in body["facts"]]
        statements += [self._finding(finding) for finding in body["findings"].values()]
        statements += [
            _monitoring(environment, window) for environment, window in body["monitoring"].items()
        ]
        return {
            "version": body["number"],
            "environments": [env for env in ENVIRONMENTS if env in body["live"]],
            "allowed": [self._verdict(body, environment) for environment in ENVIRONMENTS],
            "statements": statements,
        }

    def _verdict(self, body: Mapping[str, Any], environment: str) -> dict[str, Any]:
        now = gate_statements(body, environment, policy=self.policy, model=self.model)
        unmet = "; ".join(gate["statement"] for gate in now if not gate["met"])
        deployment = body["live"].get(environment)
        if deployment is None:
            allowed = not unmet
            reason = f"not deployed in {environment}; " + (
                f"its gates are met under policy {self.policy['version']}"
                if allowed
                else f"not allowed: {unmet}"
            )
            return _verdict(environment, False, allowed, reason, now)
        reason = (
            f"runs in {environment} since leaf {deployment['sources'][0]} (deployed by "
            f"{deployment['by']} at {deployment['at']}), having passed its gates under policy "
            f"{deployment['policy']}"
        )
        if unmet:
            reason += f"; a new deployment would now be refused: {unmet}"
        return _verdict(environment, True, True, reason, deployment["gates"])

    def _signed(self, fact: Mapping[str, Any]) -> Statement:
        """``fact`` with its signature's status stated, when it is signed."""
        signature = fact.get("signature")
        if signature is None:
            return dict(fact)
        status = "verified when recorded"
        sources = list(fact["sources"])
        revoked = self.revoked_keys.get(signature["keyid"])
        if revoked is not None:
            status += f"; key revoked at leaf {revoked.body['revoked_at']}"
            sources += revoked.body["sources"]
        text = (
            f"{fact['statement']} (signed by {signature['signer']} with key "
            f"{signature['keyid'][:12]}… at {signature['signed_at']}: {status})"
        )
        stated = statement(fact["kind"], text, sources, signature | {"status": status})
        return {**fact, **stated}

    def _finding(self, finding: Mapping[str, Any]) -> Statement:
        text = (
            f"Finding {finding['title']!r} ({finding['severity']}) raised by "
            f"{finding['raised_by']} at leaf {finding['raised']}"
        )
        remediated, closed = finding.get("remediated"), finding.get("closed")
        if remediated:
            text += f"; remediated by {remediated['by']} at leaf {remediated['leaf']}"
            text += f": {remediated['description']}"
        if finding["status"] in ("open", "assigned"):
            assignee = finding.get("assignee")
            text += f"; open, assigned to {assignee}" if assignee else "; open"
        if closed:
            text += f"; closed by {closed['by']} at leaf {closed['leaf']}"
        accepted = finding.get("accepted")
        kind = f"finding.{finding['status']}"
        if not accepted:
            return statement(kind, text, finding["sources"])
        text += (
            f"; risk accepted by {accepted['by']} at leaf {accepted['leaf']}: "
            f"{accepted['rationale']}"
        )
        signed = statement(kind, text, finding["sources"], accepted["signature"])
        return self._signed(signed)


def _verdict(
    environment: str, live: bool, allowed: bool, reason: str, gates: list[Statement]
) -> dict[str, Any]:
    return {
        "environment": environment,
        "live": live,
        "allowed": allowed,
        "reason": reason,
        "gates": gates,
    }


def _monitoring(environment: str, window: Mapping[str, Any]) -> Statement:
    span = f" ({window['start']} to {window['end']})" if window["start"] else ""
    breaches = ", ".join(window["breaches"]) or "no breach"
    text = f"Latest monitoring window in {environment} since its deployment{span}: {breaches}"
    if window["warnings"]:
        text += f"; warnings: {', '.join(window['warnings'])}"
    return statement("monitoring", text, window["sources"])
