"""Lineage nodes: how each governed thing is named, and how a projection writes its node.

A node is keyed ``<namespace>/<name>``, so it maps one to one onto an OpenLineage dataset or
job (namespace, name) and a W3C PROV entity or activity. Names a person gave (models,
datasets, environments) are percent-encoded where they would break that mapping (``@``, ``/``),
so ``credit-risk@3`` can only be version 3 of model ``credit-risk``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from projections.read_state import Edge, ReadState

__all__ = [
    "APPROVALS",
    "COUNTS",
    "DATASETS",
    "DEPLOYMENTS",
    "EXPLANATIONS",
    "FINDINGS",
    "JOBS",
    "MODELS",
    "MONITORING",
    "NAMED",
    "NODE",
    "PREDICTIONS",
    "RELATIONS",
    "VALIDATIONS",
    "ensure_node",
    "link",
    "next_number",
    "node_key",
    "part",
    "split_versioned",
    "write_node",
]

NODE = "lineage.node"
"""Node key -> ``{"key", "namespace", "name", "type", <attributes>..., "sources"}``."""
NAMED = "lineage.named"
"""Node key -> ``{"name"}`` for what ``resolve`` accepts: models, datasets and their versions."""
COUNTS = "lineage.counts"
"""Model version id (or finding id) -> how many of each child node it has had, to name the next."""

DATASETS = "govledger://datasets"
JOBS = "govledger://jobs"
MODELS = "govledger://models"
VALIDATIONS = "govledger://validations"
APPROVALS = "govledger://approvals"
DEPLOYMENTS = "govledger://deployments"
PREDICTIONS = "govledger://predictions"
EXPLANATIONS = "govledger://explanations"
MONITORING = "govledger://monitoring"
FINDINGS = "govledger://findings"

RELATIONS = frozenset(
    {
        "used",  # a training run or monitoring window -> the data it read
        "generated_by",  # a model version -> its training run; a segment -> its deployment
        "derived_from",  # a version -> the version it was mitigated or retrained from; an
        # explanation -> the version it explains
        "version_of",  # a model version -> its model; a dataset version -> its dataset
        "validated",  # a validation -> the version
        "approved",  # a granted approval -> the version
        "rejected",  # a rejection -> the version
        "deployed",  # a deployment (version in one environment) -> the version
        "flagged",  # a finding -> the version
        "remediated",  # a remediation or risk acceptance -> the finding
    }
)
"""The closed vocabulary of edge relations; every edge reads ``source relation target``."""

_VERSIONED = re.compile(r"^(?P<base>.+)[@:](?P<number>[1-9][0-9]*)$")


def node_key(namespace: str, name: str) -> str:
    """The key of the node ``name`` in ``namespace``: ``govledger://models/credit-risk@3``."""
    return f"{namespace}/{name}"


def part(text: str) -> str:
    """A person's name as one part of a node name: ``@`` and ``/`` percent-encoded."""
    return quote(text, safe=" -_.~:!$&'()*+,;=")


def split_versioned(text: str) -> tuple[str, int] | None:
    """``("credit-data", 1)`` for ``credit-data@1`` or ``credit-data:1``, else None."""
    found = _VERSIONED.match(text)
    return None if found is None else (found["base"], int(found["number"]))


def write_node(
    state: ReadState,
    namespace: str,
    name: str,
    node_type: str,
    *,
    scope: str = "",
    **attributes: Any,
) -> str:
    """Create the node or update its attributes, citing the event being applied; its key."""
    key = node_key(namespace, name)
    leaf = state.position.leaf_index
    body = state.get(NODE, key) or {
        "key": key,
        "namespace": namespace,
        "name": name,
        "type": node_type,
        "sources": [],
    }
    body.update(attributes)
    if leaf not in body["sources"]:
        body["sources"].append(leaf)
    state.put(NODE, key, body, scope=scope)
    return key


def ensure_node(
    state: ReadState,
    namespace: str,
    name: str,
    node_type: str,
    *,
    scope: str = "",
    **attributes: Any,
) -> str:
    """The node's key, creating it (citing this event) only when it does not exist yet, as
    when an event names something no earlier event introduced."""
    key = node_key(namespace, name)
    if state.get(NODE, key) is None:
        write_node(state, namespace, name, node_type, scope=scope, **attributes)
    return key


def link(state: ReadState, source: str, relation: str, target: str) -> None:
    """Add the edge ``source relation target`` (a relation of ``RELATIONS``)."""
    if relation not in RELATIONS:
        raise ValueError(f"{relation!r} is not a lineage relation: {sorted(RELATIONS)}")
    state.link(Edge(source, relation, target))


def next_number(state: ReadState, owner: str, counter: str) -> int:
    """The number the next ``counter`` child of ``owner`` (an id) takes, from 1."""
    counts = state.get(COUNTS, owner) or {}
    counts[counter] = counts.get(counter, 0) + 1
    state.put(COUNTS, owner, counts)
    return int(counts[counter])
