"""Human output of ``projections.deployments.deployments``: what runs where, and its history."""

from __future__ import annotations

from typing import Any

from api.text_table import format_table

__all__ = ["render"]


def render(result: dict[str, Any]) -> str:
    """The live versions, with their approvers and leaves, then the deploy history."""
    live = [
        [
            row["model"],
            row["environment"],
            f"v{row['version']}",
            row["since"],
            row["since_leaf"],
            row["deployed_by"],
            [_approval(approval) for approval in row["approvals"]],
        ]
        for row in result["rows"]
    ]
    history = [
        [
            row["at"],
            row["leaf"],
            row["model"],
            row["environment"],
            f"v{row['version']}",
            row["action"].replace("_", " "),
            row["by"],
        ]
        for row in result["history"]
    ]
    headers = ["model", "environment", "version", "since", "leaf", "deployed by", "approvals"]
    history_headers = ["at", "leaf", "model", "environment", "version", "action", "by"]
    return "\n".join(
        [
            "Live deployments",
            format_table(headers, live) if live else "(nothing live)",
            "",
            "History",
            format_table(history_headers, history),
        ]
    )


def _approval(approval: dict[str, Any]) -> str:
    text = f"{approval['approver']} (leaf {approval['leaf']})"
    revoked = approval.get("revoked")
    return text if not revoked else f"{text}, revoked at leaf {revoked['leaf']}"
