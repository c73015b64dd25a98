"""Which promotion gates applied to a version in an environment, as statements that say whether
each is met and cite the leaves that meet it (``domain.rules.gates`` is the rule enforced).

The read model calls ``gate_statements`` with what it holds of the version, the model's risk
tier and the policy in force: when a version is deployed (the gates it passed) and when a query
asks whether it may run somewhere it does not (the gates it would face). Each statement carries
``"met"``; a version is allowed where every one is met. A revoked approval does not count;
the approvals gate names the revocation (its leaf and reason) of an approver who has no
standing approval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.errors import InvalidArgumentError
from domain.rules.policy import Policy, default_policy_document
from domain.rules.vocabulary import Environment, Severity, UatCheck
from projections.decisions.facts import Statement, statement

__all__ = ["PolicyInForce", "gate_statements", "policy_in_force"]

PolicyInForce = Mapping[str, Any]
"""``{"version", "document", "sources"}``: the last policy set, or the defaults (no source)."""


def policy_in_force(recorded: Mapping[str, Any] | None) -> PolicyInForce:
    """The recorded policy document, or the defaults the domain applies when none was set."""
    if recorded is not None:
        return recorded
    document = default_policy_document()
    return {"version": document["version"], "document": document, "sources": []}


def gate_statements(
    version: Mapping[str, Any],
    environment: str,
    *,
    policy: PolicyInForce,
    model: Mapping[str, Any],
) -> list[Statement]:
    """The gates ``version`` faces in ``environment`` under ``policy``, each met or not."""
    named = f"policy {policy['version']}"
    try:
        rules = Policy.from_document(policy["document"])
    except InvalidArgumentError as error:
        text = f"{environment} is closed: {named} breaks the policy invariants ({error})"
        return [_gate(text, policy["sources"], met=False)]
    checks: list[Statement] = []
    if version.get("retired"):
        retired = version["retired"]
        checks.append(_gate("a retired version runs nowhere", retired["sources"], met=False))
    if environment == Environment.UAT and rules.uat_requires_passed_validation:
        checks.append(_validated(version, environment, named, policy["sources"]))
    if environment == Environment.PROD:
        checks += _prod(version, rules, named, policy=policy, model=model)
    if not checks:
        checks.append(_gate(f"{environment} has no gate under {named}", policy["sources"]))
    return checks


def _gate(text: str, sources: list[int], *, met: bool = True) -> Statement:
    made = statement("gate", text, sources)
    made["met"] = met
    return made


def _prod(
    version: Mapping[str, Any],
    rules: Policy,
    named: str,
    *,
    policy: PolicyInForce,
    model: Mapping[str, Any],
) -> list[Statement]:
    sources = list(policy["sources"])
    rejections = [d for d in version["decisions"] if not d["granted"]]
    checks = [
        _gate(
            f"prod refuses a rejected version: rejected by {d['approver']}", d["sources"], met=False
        )
        for d in rejections
    ]
    if rules.prod_requires_passed_validation:
        checks.append(_validated(version, "prod", named, sources))
    if rules.prod_requires_approval_of_artifact:
        checks.append(_approvals(version, rules, named, sources + model["sources"], model))
    if rules.prod_requires_uat_evidence:
        checks.append(_uat_evidence(version, named, sources))
    blocking = [s.value for s in Severity if s.value in rules.blocking_finding_severities]
    checks.append(_findings(version, blocking, named, sources))
    return checks


def _validated(
    version: Mapping[str, Any], environment: str, named: str, sources: list[int]
) -> Statement:
    validation = version.get("validation")
    rule = f"{environment} requires a passed validation ({named})"
    if validation is None:
        return _gate(f"{rule}: none was started", sources, met=False)
    cited = sources + validation["sources"]
    if validation["outcome"] == "passed":
        return _gate(f"{rule}: concluded passed by {validation['by']}", cited)
    state = f"concluded {validation['outcome']}" if validation["outcome"] else "still in progress"
    return _gate(f"{rule}: the validation by {validation['by']} is {state}", cited, met=False)


def _approvals(
    version: Mapping[str, Any],
    rules: Policy,
    named: str,
    sources: list[int],
    model: Mapping[str, Any],
) -> Statement:
    tier = model["risk_tier"]
    needed = rules.approvers_needed(tier)
    granted, revoked = _standing_and_revoked(version)
    cited = [f"{d['approver']} (leaf {d['sources'][0]})" for d in granted]
    text = (
        f"prod requires {needed} distinct approval(s) of {version['artifact_digest']} for risk "
        f"tier {tier} ({named}): {', '.join(cited) or 'none'}"
    )
    leaves = sources + [leaf for d in granted for leaf in d["sources"]]
    if revoked:
        text += "; revoked: " + ", ".join(
            f"{approver} (leaf {r['sources'][0]}: {r['reason']})" for approver, r in revoked.items()
        )
        leaves += [leaf for r in revoked.values() for leaf in r["sources"]]
    return _gate(text, leaves, met=len(granted) >= needed)


def _standing_and_revoked(
    version: Mapping[str, Any],
) -> tuple[list[Mapping[str, Any]], dict[str, Mapping[str, Any]]]:
    """The first standing approval of the version's artifact by each approver, and the last
    revocation of each approver who has no standing approval of it."""
    first_by_approver: dict[str, Mapping[str, Any]] = {}
    last_revoked: dict[str, Mapping[str, Any]] = {}
    for decision in version["decisions"]:
        if decision["granted"] and decision["artifact_digest"] == version["artifact_digest"]:
            if "revoked" in decision:
                last_revoked[decision["approver"]] = decision["revoked"]
            else:
                first_by_approver.setdefault(decision["approver"], decision)
    revoked = {a: r for a, r in last_revoked.items() if a not in first_by_approver}
    return list(first_by_approver.values()), revoked


def _uat_evidence(version: Mapping[str, Any], named: str, sources: list[int]) -> Statement:
    found: list[str] = []
    leaves = list(sources)
    for check in UatCheck:
        passed = [
            e
            for e in version["uat"]
            if e["passed"]
            and e["kind"] == check
            and e["artifact_digest"] == version["artifact_digest"]
        ]
        if passed:
            found.append(f"{check} (leaf {passed[0]['sources'][0]})")
            leaves += passed[0]["sources"]
    text = (
        f"prod requires passed integration and performance UAT checks of "
        f"{version['artifact_digest']} ({named}): {', '.join(found) or 'none'}"
    )
    return _gate(text, leaves, met=len(found) == len(UatCheck))


def _findings(
    version: Mapping[str, Any], blocking: Sequence[str], named: str, sources: list[int]
) -> Statement:
    relevant = [f for f in version["findings"].values() if f["severity"] in blocking]
    open_ones = [f for f in relevant if f["status"] not in ("risk_accepted", "closed")]
    described, leaves = [], list(sources)
    for finding in relevant:
        described.append(_finding_state(finding))
        leaves += finding["sources"]
    rule = (
        f"prod requires no open finding of severity {' or '.join(blocking)} unless its risk "
        f"is accepted ({named})"
    )
    return _gate(f"{rule}: {'; '.join(described) or 'none raised'}", leaves, met=not open_ones)


def _finding_state(finding: Mapping[str, Any]) -> str:
    named = (
        f"finding {finding['title']!r} ({finding['severity']}, raised at leaf {finding['raised']})"
    )
    if finding.get("accepted"):
        accepted = finding["accepted"]
        return f"{named} accepted by {accepted['by']} at leaf {accepted['leaf']}"
    if finding.get("closed"):
        return f"{named} closed by {finding['closed']['by']} at leaf {finding['closed']['leaf']}"
    return f"{named} is {finding['status']}"
