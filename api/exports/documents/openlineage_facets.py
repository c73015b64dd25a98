"""OpenLineage facets: the standard ones (spec/facets, each naming its schema) and govledger's own.

Every facet carries ``_producer`` and ``_schemaURL`` as the spec's BaseFacet requires. The custom
run facet ``govledger_evidence`` cites the leaves a run is built from and who acted; its JSON
Schema is ``EVIDENCE_FACET_SCHEMA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "EVIDENCE_FACET",
    "EVIDENCE_FACET_SCHEMA",
    "PRODUCER",
    "dataset_facets",
    "evidence_facet",
    "standard_facet",
]

PRODUCER = "https://github.com/govledger/govledger"
EVIDENCE_FACET = "govledger_evidence"
_EVIDENCE_SCHEMA_URL = f"{PRODUCER}/spec/facets/1-0-0/GovledgerEvidenceRunFacet.json"

# Standard facets used, by class name: the version of the spec/facets schema they follow.
_VERSIONS = {
    "DatasetVersionDatasetFacet": "1-0-1",
    "DatasourceDatasetFacet": "1-0-1",
    "DocumentationDatasetFacet": "1-1-0",
    "DocumentationJobFacet": "1-1-0",
    "JobTypeJobFacet": "2-0-4",
    "NominalTimeRunFacet": "1-0-1",
    "OutputStatisticsOutputDatasetFacet": "1-0-2",
    "OwnershipDatasetFacet": "1-0-1",
    "OwnershipJobFacet": "1-0-1",
    "SchemaDatasetFacet": "1-2-0",
}

EVIDENCE_FACET_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": _EVIDENCE_SCHEMA_URL,
    "$defs": {
        "GovledgerEvidenceRunFacet": {
            "type": "object",
            "description": "The signed ledger events (leaves) a run is built from, and who acted.",
            "properties": {
                "_producer": {"type": "string", "format": "uri"},
                "_schemaURL": {"type": "string", "format": "uri"},
                "actor": {"type": "string"},
                "origin": {"type": "string"},
                "leaves": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                "events": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "leaf_index": {"type": "integer", "minimum": 0},
                            "event": {"type": "string"},
                        },
                        "required": ["leaf_index", "event"],
                    },
                },
            },
            "required": ["_producer", "_schemaURL", "actor", "origin", "leaves", "events"],
        }
    },
    "type": "object",
    "properties": {EVIDENCE_FACET: {"$ref": "#/$defs/GovledgerEvidenceRunFacet"}},
}


def standard_facet(facet: str, /, **fields: Any) -> dict[str, Any]:
    """The standard facet ``facet`` (e.g. ``SchemaDatasetFacet``) with ``fields``."""
    version = _VERSIONS[facet]
    schema = f"https://openlineage.io/spec/facets/{version}/{facet}.json#/$defs/{facet}"
    return {"_producer": PRODUCER, "_schemaURL": schema, **fields}


def evidence_facet(actor: str, origin: str, events: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """The ``govledger_evidence`` run facet: ``events`` are (leaf index, event name) pairs."""
    ordered = sorted(set(events))
    return {
        "_producer": PRODUCER,
        "_schemaURL": f"{_EVIDENCE_SCHEMA_URL}#/$defs/GovledgerEvidenceRunFacet",
        "actor": actor,
        "origin": origin,
        "leaves": [leaf for leaf, _ in ordered],
        "events": [{"leaf_index": leaf, "event": name} for leaf, name in ordered],
    }


def dataset_facets(
    *,
    description: str,
    source: tuple[str, str],
    version: str = "",
    owners: Sequence[tuple[str, str]] = (),
    fields: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Dataset facets: documentation, dataSource (name, uri), and when known the version
    (a digest), ownership ((principal, role) pairs) and schema ((column, type) pairs)."""
    facets: dict[str, Any] = {
        "documentation": standard_facet(
            "DocumentationDatasetFacet", description=description, contentType="text/plain"
        ),
        "dataSource": standard_facet("DatasourceDatasetFacet", name=source[0], uri=source[1]),
    }
    if version:
        facets["version"] = standard_facet("DatasetVersionDatasetFacet", datasetVersion=version)
    if owners:
        facets["ownership"] = standard_facet(
            "OwnershipDatasetFacet",
            owners=[{"name": f"user:{name}", "type": role} for name, role in owners],
        )
    if fields:
        facets["schema"] = standard_facet(
            "SchemaDatasetFacet",
            fields=[
                {"name": name, "type": kind, "ordinal_position": position}
                for position, (name, kind) in enumerate(fields, start=1)
            ],
        )
    return facets
