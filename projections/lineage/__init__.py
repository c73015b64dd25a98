"""The lineage read model and its queries (see ``projection`` for the graph's conventions)."""

from projections.lineage.nodes import NODE, RELATIONS, node_key
from projections.lineage.projection import LineageProjection
from projections.lineage.queries import MAX_DEPTH, lineage, resolve

__all__ = ["MAX_DEPTH", "NODE", "RELATIONS", "LineageProjection", "lineage", "node_key", "resolve"]
