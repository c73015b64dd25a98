"""Human output of ``api.http.resource_state.model_state``: a model's versions and their state."""

from __future__ import annotations

from typing import Any

from api.text_table import format_table

__all__ = ["render"]


def render(result: dict[str, Any]) -> str:
    """One row per version: its number, id, state, artifact, approvers and environments."""
    rows = [
        [
            f"v{version['number']}",
            version["id"],
            version["state"],
            version["artifact_digest"],
            version["approved_by"],
            sorted(version["environments"]),
            version["sources"],
        ]
        for version in result["versions"]
    ]
    headers = ["version", "id", "state", "artifact", "approved by", "runs in", "leaves"]
    return format_table(headers, rows)
