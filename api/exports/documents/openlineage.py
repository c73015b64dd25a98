"""``lineage.openlineage.jsonl``: the bundle's runs as OpenLineage RunEvents (spec 2-0-2).

Each run (``openlineage_runs``) gives two lines, START at its first event's time and COMPLETE at
its last, in RFC 8785 canonical JSON. Datasets and jobs are named by namespace + name exactly as
the lineage read model names its nodes; run ids are UUIDv5 of the log origin and the run's node,
so the same ledger state always yields the same bytes. Every run cites its leaves in the
``govledger_evidence`` run facet.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from api.exports.context import BundleContext, BundleEvent
from api.exports.documents.openlineage_facets import (
    EVIDENCE_FACET,
    PRODUCER,
    dataset_facets,
    evidence_facet,
    standard_facet,
)
from api.exports.documents.openlineage_graph import LineageGraph, event_index, lineage_graph
from api.exports.documents.openlineage_runs import RunSpec, run_specs
from ledger.encoding.canonical import canonical_json
from projections.lineage.nodes import JOBS

__all__ = ["RUN_EVENT_SCHEMA_URL", "render_openlineage"]

RUN_EVENT_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

_JOB_DESCRIPTIONS = {
    "dataset_registration": "A data steward registers a dataset version (digest, schema, rows).",
    "training": "A model developer trains a model version from registered dataset versions.",
    "mitigation": "A model developer mitigates the bias of a model version.",
    "validation": "An independent validator validates a model version and concludes, signed.",
    "scoring": "The scoring service logs a sealed segment of predictions of a deployment.",
    "feedback": "The scoring service logs a sealed segment of outcome labels (feedback).",
    "monitoring": "The monitor evaluates a window of predictions and feedback in production.",
}


def render_openlineage(context: BundleContext) -> bytes:
    """The JSON Lines of the bundle's RunEvents, START then COMPLETE per run, by leaf."""
    graph = lineage_graph(context)
    events = event_index(context)
    names = {leaf: event.name for leaf, event in events.items()}
    builder = _Builder(context, graph, events)
    lines: list[tuple[int, int, str, bytes]] = []
    for spec in run_specs(graph, names):
        for order, (event_type, leaf) in enumerate(
            (("START", spec.leaves[0]), ("COMPLETE", spec.leaves[-1]))
        ):
            line = canonical_json(builder.run_event(spec, event_type, leaf))
            lines.append((leaf, order, spec.node, line))
    return b"".join(line + b"\n" for *_, line in sorted(lines))


class _Builder:
    """Builds RunEvents of one context, graph and event index."""

    def __init__(
        self, context: BundleContext, graph: LineageGraph, events: Mapping[int, BundleEvent]
    ) -> None:
        self._context = context
        self._graph = graph
        self._events = events
        self._roles = _roles(events)

    def _time(self, leaf: int) -> str:
        event = self._events.get(leaf)
        return event.recorded_at if event and event.recorded_at else self._context.cut_at

    def _actor(self, spec: RunSpec) -> str:
        event = self._events.get(spec.leaves[0])
        return str(event.state.get("actor", "")) if event and event.event is not None else ""

    def run_event(self, spec: RunSpec, event_type: str, leaf: int) -> dict[str, Any]:
        actor = self._actor(spec)
        evidence = [(n, self._events[n].name) for n in spec.leaves if n in self._events]
        run_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{self._context.origin}/{spec.node}")
        run_facets = {
            "nominalTime": standard_facet(
                "NominalTimeRunFacet",
                nominalStartTime=self._time(spec.leaves[0]),
                nominalEndTime=self._time(spec.leaves[-1]),
            ),
            EVIDENCE_FACET: evidence_facet(actor, self._context.origin, evidence),
        }
        owner = [{"name": f"user:{actor}", "type": self._roles.get(actor, "principal")}]
        job_facets = {
            "jobType": standard_facet(
                "JobTypeJobFacet",
                processingType="BATCH",
                integration="GOVLEDGER",
                jobType=spec.kind.upper(),
            ),
            "documentation": standard_facet(
                "DocumentationJobFacet",
                description=_JOB_DESCRIPTIONS[spec.kind],
                contentType="text/plain",
            ),
            "ownership": standard_facet("OwnershipJobFacet", owners=owner),
        }
        body: dict[str, Any] = {
            "eventType": event_type,
            "eventTime": self._time(leaf),
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA_URL,
            "run": {"runId": str(run_id), "facets": run_facets},
            "job": {"namespace": JOBS, "name": spec.job, "facets": job_facets},
            "inputs": [self._dataset(key) for key in spec.inputs],
        }
        if event_type == "COMPLETE":
            body["outputs"] = [self._output(key) for key in spec.outputs]
        return body

    def _output(self, key: str) -> dict[str, Any]:
        dataset = self._dataset(key)
        node = self._graph.nodes.get(key, {})
        if node.get("type") == "prediction_segment":
            dataset["outputFacets"] = {
                "outputStatistics": standard_facet(
                    "OutputStatisticsOutputDatasetFacet", rowCount=int(node["record_count"])
                )
            }
        return dataset

    def _dataset(self, key: str) -> dict[str, Any]:
        node = self._graph.nodes.get(key)
        if node is None:  # named by an edge the bundle's events do not describe
            namespace, _, name = key.rpartition("/")
            return {"namespace": namespace, "name": name}
        describe = _DESCRIBERS.get(node["type"], _describe_other)
        return {
            "namespace": node["namespace"],
            "name": node["name"],
            "facets": describe(self, node),
        }

    def _first(self, node: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        """The state of the first event named ``name`` the node cites, or {}."""
        for leaf in node["sources"]:
            event = self._events.get(leaf)
            if event is not None and event.name == name:
                return event.state
        return {}

    def _owner(self, state: Mapping[str, Any]) -> list[tuple[str, str]]:
        actor = str(state.get("actor", ""))
        return [(actor, self._roles.get(actor, "principal"))] if actor else []


def _describe_dataset_version(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    added = builder._first(node, "Dataset.VersionAdded")
    parents = builder._graph.targets(node["key"], "version_of")
    parent = builder._graph.nodes.get(parents[0], {}) if parents else {}
    registered = builder._first(parent, "Dataset.Registered") if parent else {}
    schema = added.get("schema", {})
    columns = [(str(c), str(schema.get(c, {}).get("type", ""))) for c in added.get("columns", [])]
    dataset = parent.get("name", node["name"])
    return dataset_facets(
        description=str(registered.get("description") or f"Dataset version {node['name']}"),
        source=(dataset, parent.get("key", node["key"])),
        version=str(node.get("digest", "")),
        owners=builder._owner(added),
        fields=columns,
    )


def _describe_model_version(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    models = builder._graph.targets(node["key"], "version_of")
    model = builder._graph.nodes.get(models[0], {}) if models else {}
    registered = builder._first(model, "Model.Registered") if model else {}
    owner = str(registered.get("owner", ""))
    return dataset_facets(
        description=f"Version {node.get('number', '')} of model {model.get('name', '')}: "
        f"the trained artifact {node.get('artifact_digest', '')}",
        source=(str(model.get("name", node["name"])), str(model.get("key", node["key"]))),
        version=str(node.get("artifact_digest", "")),
        owners=[(owner, "model_owner")] if owner else [],
    )


def _describe_validation(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    return dataset_facets(
        description=f"Validation report, outcome {node.get('outcome', 'pending')}, "
        f"by {node.get('validator', '')}",
        source=(node["name"], node["key"]),
        version=str(node.get("report_digest", "")),
        owners=[(str(node["validator"]), "validator")] if node.get("validator") else [],
    )


def _describe_segment(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    return dataset_facets(
        description=f"{node.get('record_count')} {node.get('kind')} records sealed under "
        f"Merkle root {node.get('merkle_root')}",
        source=(node["name"], node["key"]),
        version=str(node.get("digest", "")),
    )


def _describe_window(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    breaches = "; ".join(node.get("breaches", [])) or "none"
    return dataset_facets(
        description=f"Monitoring window results; breaches: {breaches}",
        source=(node["name"], node["key"]),
    )


def _describe_other(builder: _Builder, node: Mapping[str, Any]) -> dict[str, Any]:
    return dataset_facets(
        description=f"{node['type'].replace('_', ' ')} {node['name']}",
        source=(node["name"], node["key"]),
    )


_DESCRIBERS = {
    "dataset_version": _describe_dataset_version,
    "model_version": _describe_model_version,
    "validation": _describe_validation,
    "prediction_segment": _describe_segment,
    "monitoring_window": _describe_window,
}


def _roles(events: Mapping[int, BundleEvent]) -> dict[str, str]:
    """Each registered principal's roles, comma separated."""
    roles = {}
    for event in events.values():
        if event.name == "Principal.Registered":
            roles[str(event.state["name"])] = ",".join(sorted(event.state.get("roles", [])))
    return roles
