"""Lineage queries: where a model, version or dataset came from, and what came of it, as of a
log size.

``lineage`` walks the graph breadth first, one ``view.edges`` call per level and direction,
visiting each node once; every node and edge it returns cites the leaves of its events.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from projections.errors import NotFoundError, ProjectionError
from projections.lineage.nodes import (
    DATASETS,
    MODELS,
    NAMED,
    NODE,
    node_key,
    part,
    split_versioned,
)
from projections.read_state import Direction, Edge, ReadView

__all__ = ["MAX_DEPTH", "lineage", "resolve"]

MAX_DEPTH = 20
"""The deepest walk a query may ask for."""

_FIXED = ("key", "namespace", "name", "type", "sources")


def _candidates(name: str) -> Iterable[str]:
    """The node keys ``name`` may mean, most literal first."""
    if name.startswith("govledger://"):
        yield name
    for namespace in (MODELS, DATASETS):
        yield node_key(namespace, part(name))
    versioned = split_versioned(name)
    if versioned is not None:
        base, number = versioned
        for namespace in (MODELS, DATASETS):
            yield node_key(namespace, f"{part(base)}@{number}")


def resolve(view: ReadView, as_of: int, name: str) -> str:
    """The node key of a model (``credit-risk``), model version (``credit-risk@2``), dataset or
    dataset version (``german-credit@1``, ``german-credit:1``), or of a node key itself;
    NotFoundError naming similar names when none is known at log size ``as_of``."""
    candidates = list(_candidates(name))
    found = view.documents_by_keys(NODE, candidates, as_of)
    for key in candidates:
        if key in found:
            return key
    known = sorted({str(named.body["name"]) for named in view.documents(NAMED, as_of)})
    similar = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
    hint = f"similar: {', '.join(similar)}" if similar else f"known: {', '.join(known[:10])}"
    raise NotFoundError(
        f"no model, model version, dataset or dataset version {name!r} at log size {as_of}; "
        + (hint if known else "none is recorded yet")
    )


def _check_depth(depth: int) -> None:
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth {depth!r} is not a whole number from 1 to {MAX_DEPTH}")


def _walk(
    view: ReadView, as_of: int, root: str, direction: Direction, depth: int
) -> tuple[dict[str, int], dict[Edge, int]]:
    """Nodes reached from ``root`` in ``direction`` within ``depth`` levels (with their level)
    and the edges followed (with the leaf that added each)."""
    levels = {root: 0}
    edges: dict[Edge, int] = {}
    frontier = [root]
    for level in range(1, depth + 1):
        reached: list[str] = []
        for stored in view.edges(frontier, direction, as_of):
            edges[stored.edge] = stored.leaf_index
            other = stored.edge.target if direction == "upstream" else stored.edge.source
            if other not in levels:
                levels[other] = level
                reached.append(other)
        if not reached:
            break
        frontier = reached
    return levels, edges


def _node_rows(view: ReadView, as_of: int, ordered: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The rows of the nodes reached, read in one query per 500 nodes."""
    nodes = view.documents_by_keys(NODE, (key for key, _ in ordered), as_of)
    rows = []
    for key, depth in ordered:
        node = nodes.get(key)
        if node is None:
            raise ProjectionError(f"a lineage edge names {key}, which has no node: rebuild lineage")
        rows.append(_node_row(key, node.body, depth))
    return rows


def _node_row(key: str, body: Mapping[str, Any], depth: int) -> dict[str, Any]:
    attributes = {name: value for name, value in body.items() if name not in _FIXED}
    return {
        "key": key,
        "namespace": body["namespace"],
        "name": body["name"],
        "type": body["type"],
        "depth": depth,
        "attributes": attributes,
        "sources": list(body["sources"]),
    }


def lineage(
    view: ReadView, as_of: int, name: str, *, direction: Direction | None, depth: int
) -> dict[str, Any]:
    """The nodes and edges within ``depth`` (1 to ``MAX_DEPTH``) levels of ``name`` upstream,
    downstream or (``direction`` None) both, as of log size ``as_of``: nodes by depth then
    key, edges by leaf, each citing its leaves."""
    _check_depth(depth)
    root = resolve(view, as_of, name)
    depths: dict[str, int] = {}
    edges: dict[Edge, int] = {}
    for way in (direction,) if direction else ("upstream", "downstream"):
        levels, followed = _walk(view, as_of, root, way, depth)
        for key, level in levels.items():
            depths[key] = min(level, depths.get(key, level))
        edges.update(followed)
    ordered = sorted(depths.items(), key=lambda item: (item[1], item[0]))
    return {
        "root": root,
        "direction": direction or "both",
        "depth": depth,
        "nodes": _node_rows(view, as_of, ordered),
        "edges": [
            {"source": e.source, "relation": e.relation, "target": e.target, "sources": [leaf]}
            for e, leaf in sorted(edges.items(), key=lambda item: (item[1], *_order(item[0])))
        ],
    }


def _order(edge: Edge) -> tuple[str, str, str]:
    return (edge.source, edge.relation, edge.target)
