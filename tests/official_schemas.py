"""Validating a bundle's standard-format files against the official schemas in tests/data/schemas
(copied with their sources; resolved locally, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from prov.model import ProvDocument
from referencing import Registry, Resource

from api.exports.documents.openlineage import RUN_EVENT_SCHEMA_URL
from api.exports.documents.openlineage_facets import EVIDENCE_FACET_SCHEMA

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"


def load_schema(relative: str) -> dict[str, Any]:
    """One schema file of tests/data/schemas."""
    loaded: dict[str, Any] = json.loads((SCHEMAS / relative).read_text())
    return loaded


def _openlineage_registry() -> Registry:
    """OpenLineage.json, its facets and our custom facet's schema, by their $id."""
    schemas = [load_schema("openlineage/OpenLineage.json"), EVIDENCE_FACET_SCHEMA]
    schemas += [json.loads(p.read_text()) for p in sorted(SCHEMAS.glob("openlineage/facets/*"))]
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )


REGISTRY = _openlineage_registry()


def check_against(schema_url: str, instance: Any) -> None:
    """Validate ``instance`` against the schema ``schema_url`` points at, resolved locally."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": schema_url},
        registry=REGISTRY,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(instance)


def facets_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Every facet of an OpenLineage RunEvent: the run's, the job's, each dataset's."""
    found = [*event["run"].get("facets", {}).values(), *event["job"].get("facets", {}).values()]
    for dataset in [*event.get("inputs", []), *event.get("outputs", [])]:
        found += [*dataset.get("facets", {}).values(), *dataset.get("outputFacets", {}).values()]
    return found


def validate_openlineage(content: bytes) -> list[dict[str, Any]]:
    """Every line a RunEvent valid against spec 2-0-2, every facet against its own schema."""
    events = [json.loads(line) for line in content.splitlines()]
    assert events
    for event in events:
        check_against(RUN_EVENT_SCHEMA_URL, event)
        for facet in facets_of(event):
            check_against(facet["_schemaURL"], facet)
    return events


def validate_prov(content: bytes) -> ProvDocument:
    """Valid PROV-JSON (the W3C submission's schema) that the ``prov`` package reads."""
    jsonschema.Draft4Validator(load_schema("prov/prov-json.schema.json")).validate(
        json.loads(content)
    )
    return ProvDocument.deserialize(content=content.decode(), format="json")


def validate_model_card(content: bytes) -> dict[str, Any]:
    """A model card valid against Model Card Toolkit's schema v0.0.2."""
    card: dict[str, Any] = json.loads(content)
    jsonschema.Draft7Validator(
        load_schema("model_card_toolkit/model_card.schema.v0.0.2.json"),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    ).validate(card)
    return card
