"""Human output of ``projections.lineage``: the nodes reached, then the edges followed, each
citing the leaves it rests on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.text_table import format_table

__all__ = ["render"]

_SCHEME = "govledger://"


def render(result: Mapping[str, Any]) -> str:
    """A lineage answer as a heading, a table of nodes and a table of edges."""
    heading = (
        f"Lineage of {_short(result['root'])}: {result['direction']}, "
        f"depth {result['depth']}, {len(result['nodes'])} nodes, {len(result['edges'])} edges"
    )
    nodes = format_table(
        ["depth", "type", "node", "sources"],
        [
            [node["depth"], node["type"], _short(node["key"]), node["sources"]]
            for node in result["nodes"]
        ],
    )
    if not result["edges"]:
        return f"{heading}\n\n{nodes}\n\nNo edge within that depth."
    edges = format_table(
        ["source", "relation", "target", "sources"],
        [
            [_short(edge["source"]), edge["relation"], _short(edge["target"]), edge["sources"]]
            for edge in result["edges"]
        ],
    )
    return f"{heading}\n\n{nodes}\n\n{edges}"


def _short(key: str) -> str:
    """A node key without the scheme every key shares: ``models/credit-risk@3``."""
    return key.removeprefix(_SCHEME)
