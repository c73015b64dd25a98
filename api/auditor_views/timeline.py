"""Human output of ``projections.timeline.timeline``: one line per event, citing its leaf."""

from __future__ import annotations

from typing import Any

from api.text_table import format_table

__all__ = ["render"]


def render(result: dict[str, Any]) -> str:
    """The model's timeline as a table: leaf, time, actor, version and what happened."""
    rows = [
        [row["leaf_index"], row["recorded_at"], row["actor"], row["version"], row["summary"]]
        for row in result["rows"]
    ]
    table = format_table(["leaf", "recorded at", "actor", "version", "what happened"], rows)
    return f"Timeline of {result['model']} ({len(rows)} events)\n{table}"
