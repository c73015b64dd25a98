"""Every read model, in the order the worker applies them to each event."""

from __future__ import annotations

from projections.catalog import CatalogProjection
from projections.decisions.projection import DecisionProjection
from projections.deployments import DeploymentsProjection
from projections.inventory import InventoryProjection
from projections.lineage.projection import LineageProjection
from projections.projection import ReadModelProjection
from projections.risk.register import RiskRegisterProjection
from projections.search_index import SearchIndexProjection
from projections.timeline import TimelineProjection

__all__ = ["read_models"]


def read_models() -> list[ReadModelProjection]:
    """The catalog first (the others look names up in it), then the read models."""
    return [
        CatalogProjection(),
        LineageProjection(),
        InventoryProjection(),
        RiskRegisterProjection(),
        TimelineProjection(),
        DeploymentsProjection(),
        DecisionProjection(),
        SearchIndexProjection(),
    ]
