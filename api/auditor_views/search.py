"""Human output of ``projections.search_index.search``: the columns of the kind searched."""

from __future__ import annotations

from typing import Any

from api.text_table import format_table

__all__ = ["render"]

_COLUMNS = {
    "prediction_segment": [
        "model",
        "version",
        "environment",
        "kind",
        "sequence",
        "record_count",
        "first_id",
        "last_id",
        "merkle_root",
    ],
    "explanation": ["model", "version", "prediction_ref", "method", "fidelity", "weights_digest"],
    "refusal": ["model", "version", "command", "reason"],
}
"""What each kind shows after its leaf, time and actor."""


def render(result: dict[str, Any]) -> str:
    """The entries found, one per line, each with its leaf."""
    columns = _COLUMNS[result["kind"]]
    headers = ["leaf", "recorded at", "actor", *(column.replace("_", " ") for column in columns)]
    rows = [
        [row["leaf_index"], row["recorded_at"], row["actor"], *(row[c] for c in columns)]
        for row in result["rows"]
    ]
    title = f"{len(rows)} {result['kind'].replace('_', ' ')} entries (offset {result['offset']})"
    return f"{title}\n{format_table(headers, rows)}"
