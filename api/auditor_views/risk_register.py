"""Human output of ``projections.risk.register.risk_register``: one line per model version,
then its monitoring, approvals and risk acceptances, each citing its leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.text_table import format_table

__all__ = ["render"]


def render(result: Mapping[str, Any]) -> str:
    """The register as tables: versions with their residual risk, then the details."""
    policy = result["policy"]
    heading = f"Risk register under policy {policy['version']} ({policy['digest']})"
    rows = result["rows"]
    if not rows:
        return f"{heading}\nNo model version at this log size."
    sections = [
        heading,
        format_table(
            ["model", "version", "tier", "open findings", "monitoring", "residual risk", "leaves"],
            [_summary(row) for row in rows],
        ),
        "Monitoring (latest window per kind)",
        format_table(
            [
                "model",
                "version",
                "environment",
                "kind",
                "status",
                "window end",
                "breaches",
                "leaves",
            ],
            [line for row in rows for line in _monitoring(row)],
        ),
        "Approvals",
        format_table(
            ["model", "version", "approver", "decision", "signed at", "key", "expires", "leaves"],
            [_approval(row, a) for row in rows for a in row["approvals"]],
        ),
        "Risk acceptances",
        format_table(
            ["model", "version", "finding", "approver", "rationale", "signed at", "leaves"],
            [_acceptance(row, a) for row in rows for a in row["risk_acceptances"]],
        ),
    ]
    return "\n".join(sections)


def _summary(row: Mapping[str, Any]) -> list[object]:
    counts = row["open_findings"]["value"]["by_severity"]
    open_findings = ", ".join(f"{n} {severity}" for severity, n in counts.items() if n)
    breached = sorted(
        {
            kind
            for by_kind in row["monitoring"].values()
            for kind, v in by_kind.items()
            if v["status"] == "breached"
        }
    )
    residual = row["residual_risk"]
    return [
        row["model"],
        row["version"],
        row["risk_tier"]["value"],
        open_findings or "none",
        "breached: " + ", ".join(breached) if breached else "ok",
        f"{residual['rating']} (score {residual['score']})",
        row["sources"],
    ]


def _monitoring(row: Mapping[str, Any]) -> list[list[object]]:
    return [
        [
            row["model"],
            row["version"],
            environment,
            kind,
            verdict["status"],
            (verdict["window"] or {}).get("end", verdict["recorded_at"]),
            "; ".join(verdict["breaches"]),
            verdict["sources"],
        ]
        for environment, by_kind in sorted(row["monitoring"].items())
        for kind, verdict in sorted(by_kind.items())
    ]


def _approval(row: Mapping[str, Any], approval: Mapping[str, Any]) -> list[object]:
    return [
        row["model"],
        row["version"],
        approval["approver"],
        _decision(approval),
        approval["signed_at"],
        approval["keyid"],
        approval["expires"],
        approval["sources"],
    ]


def _decision(approval: Mapping[str, Any]) -> str:
    revoked = approval.get("revoked")
    if not revoked:
        return str(approval["decision"])
    return f"{approval['decision']}, revoked at leaf {revoked['leaf']}: {revoked['reason']}"


def _acceptance(row: Mapping[str, Any], acceptance: Mapping[str, Any]) -> list[object]:
    return [
        row["model"],
        row["version"],
        f"{acceptance['title']} ({acceptance['severity']})",
        acceptance["approver"],
        acceptance["rationale"],
        acceptance["signed_at"],
        acceptance["sources"],
    ]
