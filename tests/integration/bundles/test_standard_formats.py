"""The bundle's standard-format documents validate against the official schemas (copied in
tests/data/schemas, resolved locally, no network), load with third-party tools, say what the
events say, and are reproducible byte for byte."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import jsonschema
import pytest
from prov.model import ProvDocument

from api.composition import Ledger
from api.exports.assemble import gather
from api.exports.context import BundleContext
from api.exports.documents.model_card import render_model_card
from api.exports.documents.openlineage import RUN_EVENT_SCHEMA_URL, render_openlineage
from api.exports.documents.openlineage_facets import EVIDENCE_FACET
from api.exports.documents.prov import render_prov
from ledger.encoding.canonical import canonical_json
from tests.official_schemas import check_against, facets_of, load_schema


def _lines(context: BundleContext) -> list[dict[str, Any]]:
    return [json.loads(line) for line in render_openlineage(context).splitlines()]


def _count(context: BundleContext, name: str) -> int:
    return sum(1 for event in context.events if event.name == name)


@pytest.fixture(scope="module")
def version_context(demo_ledger: Ledger) -> BundleContext:
    """The context of the bundle of version 2 of credit-risk only."""
    return gather(demo_ledger, "credit-risk", 2, None).context


def test_openlineage_events_and_their_facets_validate_against_the_official_schemas(
    demo_context: BundleContext,
) -> None:
    content = render_openlineage(demo_context)
    checked = set()
    for line in content.splitlines():
        assert line == canonical_json(json.loads(line))
        event = json.loads(line)
        assert event["schemaURL"] == RUN_EVENT_SCHEMA_URL
        check_against("https://openlineage.io/spec/2-0-2/OpenLineage.json", event)
        for facet in facets_of(event):
            check_against(facet["_schemaURL"], facet)
            checked.add(facet["_schemaURL"].rpartition("/")[2])
    assert checked == {
        "DatasetVersionDatasetFacet",
        "DatasourceDatasetFacet",
        "DocumentationDatasetFacet",
        "DocumentationJobFacet",
        "GovledgerEvidenceRunFacet",
        "JobTypeJobFacet",
        "NominalTimeRunFacet",
        "OutputStatisticsOutputDatasetFacet",
        "OwnershipDatasetFacet",
        "OwnershipJobFacet",
        "SchemaDatasetFacet",
    }


def test_openlineage_reports_each_kind_of_run_once_started_once_completed(
    demo_context: BundleContext,
) -> None:
    events = _lines(demo_context)
    completed = Counter(
        e["job"]["facets"]["jobType"]["jobType"] for e in events if e["eventType"] == "COMPLETE"
    )
    sealed = _count(demo_context, "PredictionLog.SegmentSealed")
    assert completed == {
        "DATASET_REGISTRATION": _count(demo_context, "Dataset.VersionAdded"),
        "TRAINING": _count(demo_context, "ModelVersion.Trained"),
        "MITIGATION": _count(demo_context, "ModelVersion.BiasMitigated"),
        "VALIDATION": _count(demo_context, "ModelVersion.ValidationStarted"),
        "SCORING": sealed - completed["FEEDBACK"],
        "FEEDBACK": completed["FEEDBACK"],
        "MONITORING": _count(demo_context, "ModelVersion.MonitoringWindowEvaluated"),
    }
    assert completed["SCORING"] > 0
    assert completed["FEEDBACK"] > 0
    runs = Counter((e["run"]["runId"], e["eventType"]) for e in events)
    assert set(runs.values()) == {1}
    assert len(runs) == 2 * sum(completed.values())


def test_openlineage_names_datasets_as_the_lineage_read_model_and_cites_leaves(
    demo_context: BundleContext,
) -> None:
    events = _lines(demo_context)
    training = next(
        e
        for e in events
        if e["eventType"] == "COMPLETE" and e["job"]["name"] == "train/credit-risk@1"
    )
    assert training["job"]["namespace"] == "govledger://jobs"
    assert [(d["namespace"], d["name"]) for d in training["inputs"]] == [
        ("govledger://datasets", "german-credit@1")
    ]
    assert [(d["namespace"], d["name"]) for d in training["outputs"]] == [
        ("govledger://models", "credit-risk@1")
    ]
    columns = [f["name"] for f in training["inputs"][0]["facets"]["schema"]["fields"]]
    assert "age_band" in columns
    evidence = training["run"]["facets"][EVIDENCE_FACET]
    trained = next(e for e in demo_context.events if e.name == "ModelVersion.Trained")
    assert evidence["leaves"] == [trained.leaf_index]
    assert evidence["actor"] == trained.state["actor"]
    carried = {event.leaf_index for event in demo_context.events}
    for event in events:
        cited = event["run"]["facets"][EVIDENCE_FACET]
        check_against(cited["_schemaURL"], cited)
        assert cited["leaves"]
        assert set(cited["leaves"]) <= carried


def test_prov_loads_with_the_prov_package_and_validates_against_prov_json_schema(
    demo_context: BundleContext,
) -> None:
    content = render_prov(demo_context)
    body = json.loads(content)
    jsonschema.Draft4Validator(load_schema("prov/prov-json.schema.json")).validate(body)
    document = ProvDocument.deserialize(content=content.decode(), format="json")
    provn = document.get_provn()
    assert (
        "wasGeneratedBy(govledger:models/credit-risk@1, govledger:jobs/train/credit-risk@1" in provn
    )
    for relation in ("used", "wasGeneratedBy", "wasDerivedFrom", "wasAssociatedWith"):
        assert body[relation], relation
    assert body["wasAttributedTo"]
    assert "govledger:principals/vera-validator" in body["agent"]
    derived = {
        (r["prov:generatedEntity"], r["prov:usedEntity"]) for r in body["wasDerivedFrom"].values()
    }
    assert ("govledger:models/credit-risk@2", "govledger:models/credit-risk@1") in derived
    carried = {event.leaf_index for event in demo_context.events}
    for kind in ("entity", "activity"):
        for identifier, attributes in body[kind].items():
            assert set(attributes["govledger:leaves"]) <= carried, identifier


def test_model_card_validates_and_reports_metrics_by_group(demo_context: BundleContext) -> None:
    card = json.loads(render_model_card(demo_context))
    schema = load_schema("model_card_toolkit/model_card.schema.v0.0.2.json")
    jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    ).validate(card)
    slices = {m["slice"] for m in card["quantitative_analysis"]["performance_metrics"]}
    assert {"overall", "age_band=under_25", "sex=female", "foreign_worker=no"} <= slices
    details = card["model_details"]
    assert details["version"]["name"] == "3"
    assert "live in production" in details["documentation"]
    assert details["owners"][0]["name"] == "olivia-owner"
    assert any("To be supplied by the model owner" in c["custom_text"] for c in details["licenses"])
    fairness = [e for e in demo_context.events if e.name == "ModelVersion.FairnessAssessed"][-1]
    assert {
        "citation": f"ModelVersion.FairnessAssessed [leaf {fairness.leaf_index}]",
        "style": "govledger leaf",
    } in details["citations"]


def test_one_version_documents_are_valid_and_about_that_version(
    version_context: BundleContext,
) -> None:
    card = json.loads(render_model_card(version_context))
    jsonschema.Draft7Validator(
        load_schema("model_card_toolkit/model_card.schema.v0.0.2.json")
    ).validate(card)
    assert card["model_details"]["version"]["name"] == "2"
    assert "Bias mitigated" in card["model_details"]["version"]["diff"]
    names = [e["name"] for e in card["considerations"]["ethical_considerations"]]
    assert any("foreign_worker" in name for name in names)
    lineage = render_openlineage(version_context)
    assert b"credit-risk@2" in lineage
    assert b"credit-risk@3" not in lineage
    for line in lineage.splitlines():
        check_against("https://openlineage.io/spec/2-0-2/OpenLineage.json", json.loads(line))
    prov = render_prov(version_context)
    jsonschema.Draft4Validator(load_schema("prov/prov-json.schema.json")).validate(json.loads(prov))
    ProvDocument.deserialize(content=prov.decode(), format="json")


@pytest.mark.parametrize("render", [render_openlineage, render_prov, render_model_card])
def test_two_renders_are_identical(render: Any, demo_context: BundleContext) -> None:
    assert render(demo_context) == render(demo_context)
