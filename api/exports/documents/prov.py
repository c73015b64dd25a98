"""``lineage.prov.json``: the bundle's lineage as W3C PROV-JSON.

Entities are the governed things (datasets and their versions, the model and its versions,
validation reports, approval decisions, findings, prediction segments, explanations, monitoring
results); activities are what produced them (training, mitigation, validation, approval,
deployment, monitoring); agents are the principals who acted. Identifiers are the lineage read
model's node keys under the ``govledger:`` prefix (``govledger:models/credit-risk@3``). Every
element cites the leaves it comes from (``govledger:leaves``), every relation the leaf that
recorded it (``govledger:leaf``). Keys are sorted and relation ids numbered in leaf order, so the
same ledger state gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from api.exports.context import BundleContext, BundleEvent
from api.exports.documents.openlineage_graph import LineageGraph, event_index, lineage_graph

__all__ = ["PREFIX", "render_prov"]

PREFIX = "govledger://"

_ENTITY_TYPES = {
    "dataset": "Dataset",
    "dataset_version": "DatasetVersion",
    "model": "Model",
    "model_version": "ModelVersion",
    "validation": "ValidationReport",
    "approval": "ApprovalDecision",
    "finding": "Finding",
    "prediction_segment": "PredictionSegment",
    "explanation": "Explanation",
    "monitoring_window": "MonitoringResults",
}
# Node types that stand for an activity, and those whose activity is named after them (the
# node itself is the entity the activity generated).
_ACTIVITY_NODES = {"training_run": "Training", "deployment": "Deployment"}
_GENERATING_ACTIVITIES = {
    "validation": ("validate", "Validation"),
    "approval": ("approve", "Approval"),
    "monitoring_window": ("monitor", "Monitoring"),
}
_CARRIED = ("approver", "artifact_digest", "digest", "environment", "outcome", "severity", "title")


def _qname(key: str) -> str:
    return "govledger:" + key.removeprefix(PREFIX)


def _typed(name: str) -> dict[str, str]:
    return {"$": f"govledger:{name}", "type": "prov:QUALIFIED_NAME"}


class _Document:
    """A PROV-JSON document under construction."""

    def __init__(self, context: BundleContext) -> None:
        self.context = context
        self.events: dict[int, BundleEvent] = event_index(context)
        self.bundle: dict[str, dict[str, Any]] = {}
        self._counts: dict[str, int] = {}

    def element(self, kind: str, identifier: str, attributes: Mapping[str, Any]) -> None:
        self.bundle.setdefault(kind, {}).setdefault(identifier, {}).update(attributes)

    def relation(self, kind: str, leaf: int, **members: str) -> None:
        self._counts[kind] = self._counts.get(kind, 0) + 1
        body: dict[str, Any] = {f"prov:{name}": value for name, value in members.items()}
        body["govledger:leaf"] = leaf
        self.bundle.setdefault(kind, {})[f"_:{kind}{self._counts[kind]}"] = body

    def time(self, leaf: int) -> str:
        event = self.events.get(leaf)
        return event.recorded_at if event and event.recorded_at else self.context.cut_at

    def actor(self, leaves: Iterable[int]) -> str:
        """The actor of the first of ``leaves`` that names one."""
        for leaf in leaves:
            event = self.events.get(leaf)
            if event is not None and event.event is not None and event.state.get("actor"):
                return str(event.state["actor"])
        return ""

    def agent_of(self, leaves: list[int]) -> str:
        """The agent's id for the actor of ``leaves``, adding the agent when it is new."""
        return self.agent_named(self.actor(leaves))

    def agent_named(self, principal: str) -> str:
        """The agent's id for ``principal`` ("" for none), adding the agent when it is new."""
        if not principal:
            return ""
        identifier = f"govledger:principals/{principal}"
        if identifier not in self.bundle.get("agent", {}):
            self.element("agent", identifier, {"prov:label": principal, "prov:type": "prov:Person"})
        return identifier


def render_prov(context: BundleContext) -> bytes:
    """The PROV-JSON document of the bundle's lineage, pretty-printed with sorted keys."""
    graph = lineage_graph(context)
    document = _Document(context)
    _agents(document)
    for key, node in sorted(graph.nodes.items()):
        _node(document, graph, key, node)
    _edges(document, graph)
    body = {"prefix": {"govledger": PREFIX}, **document.bundle}
    return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _agents(document: _Document) -> None:
    """Every principal the bundle registers, with its roles."""
    for leaf, event in sorted(document.events.items()):
        if event.name == "Principal.Registered":
            name = str(event.state["name"])
            document.element(
                "agent",
                f"govledger:principals/{name}",
                {
                    "prov:label": name,
                    "prov:type": "prov:Person",
                    "govledger:roles": ",".join(sorted(event.state.get("roles", []))),
                    "govledger:leaves": [leaf],
                },
            )


def _attributes(node: Mapping[str, Any]) -> dict[str, Any]:
    attributes: dict[str, Any] = {"prov:label": node["name"], "govledger:leaves": node["sources"]}
    for name in _CARRIED:
        if node.get(name) not in (None, ""):
            attributes[f"govledger:{name}"] = str(node[name])
    return attributes


def _node(document: _Document, graph: LineageGraph, key: str, node: Mapping[str, Any]) -> None:
    node_type = node["type"]
    leaves = list(node["sources"])
    identifier = _qname(key)
    if node_type in _ACTIVITY_NODES:
        _activity(document, identifier, _ACTIVITY_NODES[node_type], node, leaves)
        return
    attributes = _attributes(node)
    attributes["prov:type"] = _typed(_ENTITY_TYPES.get(node_type, "Entity"))
    document.element("entity", identifier, attributes)
    owner = _owner(document, node, leaves)
    if owner:
        document.relation("wasAttributedTo", leaves[0], entity=identifier, agent=owner)
    if node_type in _GENERATING_ACTIVITIES:
        verb, kind = _GENERATING_ACTIVITIES[node_type]
        activity = f"govledger:activities/{verb}/{node['name']}"
        _activity(document, activity, kind, node, leaves)
        document.relation("wasGeneratedBy", leaves[-1], entity=identifier, activity=activity)
    if node_type == "model_version" and node.get("mitigation"):
        _mitigation(document, identifier, node, leaves)


def _owner(document: _Document, node: Mapping[str, Any], leaves: list[int]) -> str:
    """Who an entity is attributed to: its model's owner for a model, else its first actor."""
    if node["type"] == "model":
        for leaf in leaves:
            event = document.events.get(leaf)
            if event is not None and event.name == "Model.Registered":
                return document.agent_named(str(event.state.get("owner", "")))
    return document.agent_of(leaves)


def _activity(
    document: _Document, identifier: str, kind: str, node: Mapping[str, Any], leaves: list[int]
) -> None:
    attributes = _attributes(node)
    attributes.update(
        {
            "prov:type": _typed(kind),
            "prov:startTime": document.time(leaves[0]),
            "prov:endTime": document.time(leaves[-1]),
        }
    )
    document.element("activity", identifier, attributes)
    agent = document.agent_of(leaves)
    if agent:
        document.relation("wasAssociatedWith", leaves[0], activity=identifier, agent=agent)


def _mitigation(
    document: _Document, version: str, node: Mapping[str, Any], leaves: list[int]
) -> None:
    mitigated = [
        leaf for leaf in leaves if document.events[leaf].name == "ModelVersion.BiasMitigated"
    ]
    if not mitigated:
        return
    activity = f"govledger:activities/mitigate/{node['name']}"
    details = node["mitigation"]
    document.element(
        "activity",
        activity,
        {
            "prov:type": _typed("Mitigation"),
            "prov:label": f"mitigate/{node['name']}",
            "prov:startTime": document.time(mitigated[0]),
            "prov:endTime": document.time(mitigated[-1]),
            "govledger:method": str(details.get("method", "")),
            "govledger:sensitive_attribute": str(details.get("sensitive_attribute", "")),
            "govledger:leaves": mitigated,
        },
    )
    document.relation("used", mitigated[0], activity=activity, entity=version)
    agent = document.agent_of(mitigated)
    if agent:
        document.relation("wasAssociatedWith", mitigated[0], activity=activity, agent=agent)


def _activity_of(graph: LineageGraph, key: str) -> str:
    """The activity id a node acts through: itself, or the activity that generated it."""
    node = graph.nodes.get(key, {})
    verb = _GENERATING_ACTIVITIES.get(node.get("type", ""), ("", ""))[0]
    return f"govledger:activities/{verb}/{node['name']}" if verb else _qname(key)


def _edges(document: _Document, graph: LineageGraph) -> None:
    """The read model's edges as PROV relations, in leaf order."""
    for edge in graph.edges:
        source, target, leaf = _qname(edge.source), _qname(edge.target), edge.leaf_index
        if edge.relation == "used":
            activity = _activity_of(graph, edge.source)
            document.relation("used", leaf, activity=activity, entity=target)
        elif edge.relation == "generated_by":
            document.relation("wasGeneratedBy", leaf, entity=source, activity=target)
        elif edge.relation in ("derived_from", "flagged", "remediated"):
            document.relation("wasDerivedFrom", leaf, generatedEntity=source, usedEntity=target)
        elif edge.relation == "version_of":
            document.relation("specializationOf", leaf, specificEntity=source, generalEntity=target)
        else:  # validated, approved, rejected, deployed: the activity used the version
            activity = _activity_of(graph, edge.source)
            document.relation("used", leaf, activity=activity, entity=target)
