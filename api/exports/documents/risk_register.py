"""``risk_register.csv``: the risk register at the bundle's cut, one row per model version.

RFC 4180 CSV, UTF-8 without a byte-order mark, a header row, every line ending in ``\\r\\n``
(RFC 4180's line break; spreadsheets and Python's ``csv`` read it as is), fields quoted only
when they must be. Rows are the versions of the bundle's model (its one version, if any) in
version order, as ``projections.risk.register.risk_register`` answers at ``context.as_of``,
with where each version is live (``projections.deployments``) and the model's owner
(``projections.inventory``). Cells listing facts cite their leaves (``[leaf N]``); ``sources``
lists every leaf the row rests on, space-separated. What the ledger does not hold (the
remediation plan of open findings) is marked "To be supplied by the model owner".

Values come from signed events, i.e. from people: a cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe, so no spreadsheet runs it as a
formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from api.exports.context import BundleContext
from projections.deployments import deployments
from projections.inventory import inventory_entry
from projections.risk.monitoring import KINDS
from projections.risk.register import risk_register

__all__ = ["COLUMNS", "guard_cell", "render_risk_register"]

SEVERITIES = ("critical", "high", "medium", "low")
COLUMNS = (
    "model",
    "version",
    "risk_tier",
    "risk_owner",
    "live_in",
    *(f"open_{severity}" for severity in SEVERITIES),
    "open_findings",
    "remediation_plan",
    *(f"monitoring_{kind}" for kind in KINDS),
    "approvals",
    "approval_expires",
    "risk_acceptances",
    "residual_rating",
    "residual_score",
    "residual_rule",
    "policy",
    "sources",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TO_BE_SUPPLIED = (
    "To be supplied by the model owner: the remediation plan, its owner and target date "
    "for each open finding"
)


def render_risk_register(context: BundleContext) -> bytes:
    """The register's CSV bytes: a pure function of ``context``."""
    register = risk_register(context.view, context.as_of, context.model)
    live = deployments(context.view, context.as_of, context.model)["rows"]
    owner = inventory_entry(context.view, context.as_of, context.model)["owner"]
    policy = register["policy"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in register["rows"]:
        if context.version is None or row["version"] == context.version:
            where = [d for d in live if d["version"] == row["version"]]
            cells = _cells(row, where, owner, policy)
            writer.writerow([guard_cell(cells[column]) for column in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def guard_cell(value: str) -> str:
    """``value``, with a leading apostrophe if a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _cells(
    row: Mapping[str, Any],
    live: Sequence[Mapping[str, Any]],
    owner: Mapping[str, Any],
    policy: Mapping[str, Any],
) -> dict[str, str]:
    findings = row["open_findings"]
    counts = findings["value"]["by_severity"]
    residual = row["residual_risk"]
    leaves = {*row["sources"], *owner["sources"], *policy["sources"]}
    for deployment in live:
        leaves.update(deployment["sources"])
    return {
        "model": str(row["model"]),
        "version": str(row["version"]),
        "risk_tier": _cited(row["risk_tier"]["value"], row["risk_tier"]["sources"]),
        "risk_owner": _cited(owner["value"], owner["sources"]),
        "live_in": "; ".join(_deployment(d) for d in live) or "not deployed",
        **{f"open_{s}": str(counts.get(s, 0)) for s in SEVERITIES},
        "open_findings": _open_findings(findings),
        "remediation_plan": _TO_BE_SUPPLIED if findings["value"]["open"] else "",
        **{f"monitoring_{kind}": _monitoring(row["monitoring"], kind) for kind in KINDS},
        "approvals": "; ".join(_approval(a) for a in row["approvals"]) or "none",
        "approval_expires": _first_expiry(row["approvals"]),
        "risk_acceptances": "; ".join(_acceptance(a) for a in row["risk_acceptances"]),
        "residual_rating": _cited(residual["rating"], residual["sources"]),
        "residual_score": str(residual["score"]),
        "residual_rule": str(residual["rule"]),
        "policy": _cited(f"{policy['version']} ({policy['digest']})", policy["sources"]),
        "sources": " ".join(str(leaf) for leaf in sorted(leaves)),
    }


def _cited(value: object, leaves: Iterable[int]) -> str:
    """``value [leaf 3]`` / ``value [leaves 3, 5]``; the bare value when nothing is cited."""
    found = sorted(set(leaves))
    if not found:
        return str(value)
    label = "leaf" if len(found) == 1 else "leaves"
    return f"{value} [{label} {', '.join(str(leaf) for leaf in found)}]"


def _deployment(deployment: Mapping[str, Any]) -> str:
    text = f"{deployment['environment']} since {deployment['since']} by {deployment['deployed_by']}"
    return _cited(text, deployment["sources"])


def _open_findings(findings: Mapping[str, Any]) -> str:
    listed = [
        f"{f['severity']}: {f['title']} (finding {f['id']})" for f in findings["value"]["open"]
    ]
    return _cited("; ".join(listed), findings["sources"]) if listed else "none"


def _monitoring(monitoring: Mapping[str, Mapping[str, Any]], kind: str) -> str:
    """The latest verdict of monitor family ``kind`` in each environment, environments sorted."""
    verdicts = []
    for environment in sorted(monitoring):
        verdict = monitoring[environment].get(kind)
        if verdict is None:
            continue
        window = verdict.get("window") or {}
        text = f"{environment}: {verdict['status']}"
        if window:
            text += f" (window {window.get('start', '')} to {window.get('end', '')})"
        if verdict.get("breaches"):
            text += f": {', '.join(str(b) for b in verdict['breaches'])}"
        verdicts.append(_cited(text, verdict["sources"]))
    return "; ".join(verdicts) or "no window recorded"


def _approval(approval: Mapping[str, Any]) -> str:
    text = (
        f"{approval['approver']} {approval['decision']} at {approval['signed_at']} "
        f"(key {approval['keyid']}), expires {approval['expires']}"
    )
    revoked = approval.get("revoked")
    if revoked:
        text += f", revoked at {revoked['signed_at']}: {revoked['reason']}"
    return _cited(text, approval["sources"])


def _first_expiry(approvals: Iterable[Mapping[str, Any]]) -> str:
    """The earliest expiry among granted approvals that stand (not revoked); '' if none."""
    standing = [
        str(a["expires"]) for a in approvals if a["decision"] == "granted" and not a.get("revoked")
    ]
    return min(standing, default="")


def _acceptance(acceptance: Mapping[str, Any]) -> str:
    text = (
        f"{acceptance['severity']} finding {acceptance['finding']} ({acceptance['title']}) "
        f"accepted by {acceptance['approver']} at {acceptance['signed_at']} "
        f"(key {acceptance['keyid']}): {acceptance['rationale']}"
    )
    return _cited(text, acceptance["sources"])
