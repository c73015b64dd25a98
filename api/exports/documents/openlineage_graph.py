"""The bundle's lineage graph as the lineage read model names it, for the standard-format documents.

Nodes are ``<namespace>/<name>`` keys (``projections.lineage.nodes``) with their attributes and the
leaves they cite; edges read ``source relation target`` and cite the leaf that added them. Both
come from ``context.view`` as of the bundle's cut, ordered by key and by leaf, so documents built
from a graph are deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.exports.context import BundleContext, BundleEvent
from projections.lineage.nodes import NODE

__all__ = ["LineageGraph", "event_index", "lineage_graph"]


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """``source relation target``, added by the event at ``leaf_index``."""

    source: str
    relation: str
    target: str
    leaf_index: int


@dataclass(frozen=True, slots=True)
class LineageGraph:
    """Nodes by key (dicts with ``namespace``, ``name``, ``type``, ``sources``...) and edges."""

    nodes: Mapping[str, Mapping[str, Any]]
    edges: tuple[GraphEdge, ...]

    def of_type(self, node_type: str) -> list[Mapping[str, Any]]:
        """The nodes of ``node_type``, by key."""
        return [node for key, node in sorted(self.nodes.items()) if node["type"] == node_type]

    def targets(self, source: str, relation: str) -> list[str]:
        """The keys ``source`` points at by ``relation``, by leaf then key."""
        found = [edge for edge in self.edges if edge.source == source and edge.relation == relation]
        return [edge.target for edge in found]

    def sources_of(self, target: str, relation: str) -> list[str]:
        """The keys pointing at ``target`` by ``relation``, by leaf then key."""
        found = [edge for edge in self.edges if edge.target == target and edge.relation == relation]
        return [edge.source for edge in found]


def lineage_graph(context: BundleContext) -> LineageGraph:
    """The lineage nodes and edges of the bundle's read side as of its cut."""
    with context.view.session():
        documents = context.view.documents(NODE, context.as_of)
        nodes = {document.key: dict(document.body) for document in documents}
        stored = context.view.edges(sorted(nodes), "upstream", context.as_of)
    edges = sorted(
        {GraphEdge(s.edge.source, s.edge.relation, s.edge.target, s.leaf_index) for s in stored},
        key=lambda edge: (edge.leaf_index, edge.source, edge.relation, edge.target),
    )
    return LineageGraph(nodes, tuple(edges))


def event_index(context: BundleContext) -> dict[int, BundleEvent]:
    """The bundle's events by leaf index."""
    return {event.leaf_index: event for event in context.events}
