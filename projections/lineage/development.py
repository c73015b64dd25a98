"""Lineage of development: datasets and their versions, models, training runs, model versions,
validations and approval decisions (the events of ``Dataset``, ``Model`` and ``ModelVersion``
up to release). A revoked approval keeps its node and its ``approved`` edge (it was granted);
the node gains ``revoked: true``, the reason and the revocation's leaf in its sources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from projections.catalog import DATASET, version_name
from projections.lineage.nodes import (
    APPROVALS,
    COUNTS,
    DATASETS,
    JOBS,
    MODELS,
    NAMED,
    NODE,
    VALIDATIONS,
    ensure_node,
    link,
    next_number,
    node_key,
    part,
    split_versioned,
    write_node,
)
from projections.read_state import ReadState

NodeWriter = Callable[..., str]
"""``write_node`` (record what an event says) or ``ensure_node`` (only name what it refers to)."""

__all__ = [
    "VersionNode",
    "add_dataset_version",
    "decide",
    "register_dataset",
    "register_model",
    "revoke",
    "start_validation",
    "train",
    "update_validation",
    "update_version",
    "version_node",
]


@dataclass(frozen=True, slots=True)
class VersionNode:
    """A model version's node: its model (the scope of its nodes), its name and its key."""

    model: str
    name: str
    key: str


def version_node(state: ReadState, version_id: object) -> VersionNode | None:
    """The node of a version id the catalog knows, or None."""
    found = version_name(state, version_id)
    if found is None:
        return None
    name = f"{part(found.model)}@{found.number}"
    return VersionNode(found.model, name, node_key(MODELS, name))


def _named(state: ReadState, key: str, name: str) -> None:
    if state.get(NAMED, key) is None:
        state.put(NAMED, key, {"name": name})


def register_model(state: ReadState, event: Any) -> None:
    """A model's node (what all its versions are versions of)."""
    key = write_node(
        state, MODELS, part(event.name), "model", scope=event.name, risk_tier=event.risk_tier
    )
    _named(state, key, event.name)


def register_dataset(state: ReadState, event: Any) -> None:
    """A dataset's node."""
    _dataset(state, event.name, write_node, registered=True)


def _dataset(state: ReadState, name: str, write: NodeWriter, **attributes: Any) -> str:
    key = write(state, DATASETS, part(name), "dataset", **attributes)
    _named(state, key, name)
    return key


def _dataset_version(
    state: ReadState, dataset: str, number: int, write: NodeWriter, **attributes: Any
) -> str:
    dataset_key = _dataset(state, dataset, ensure_node, registered=False)
    key = write(state, DATASETS, f"{part(dataset)}@{number}", "dataset_version", **attributes)
    _named(state, key, f"{dataset}@{number}")
    link(state, key, "version_of", dataset_key)
    return key


def add_dataset_version(state: ReadState, event: Any) -> None:
    """A dataset version's node, numbered in order of addition."""
    dataset = (state.get(DATASET, str(event.originator_id)) or {"name": ""})["name"]
    known = state.get(NODE, node_key(DATASETS, part(dataset))) or {}
    number = int(known.get("versions", 0)) + 1
    _dataset(state, dataset, write_node, versions=number)
    _dataset_version(
        state,
        dataset,
        number,
        write_node,
        registered=True,
        digest=event.digest,
        row_count=event.row_count,
    )


def _data_used(state: ReadState, reference: object) -> str:
    """The node of a dataset version as ``Trained`` names it: a ref object of the ledger's
    data, a ``name:number`` text, or any other text (a dataset whose version is unknown).
    Data no earlier event registered gets a node marked ``registered: false``."""
    if isinstance(reference, dict):
        dataset, number = str(reference["dataset"]), int(reference["version"])
        return _dataset_version(state, dataset, number, ensure_node, registered=False)
    text = str(reference)
    versioned = split_versioned(text)
    if versioned is None:
        return _dataset(state, text, ensure_node, registered=False)
    return _dataset_version(state, *versioned, ensure_node, registered=False)


def train(state: ReadState, event: Any) -> None:
    """The version, its training run and what the run used; its model and predecessor."""
    version = version_node(state, event.originator_id)
    if version is None:
        return
    model_key = ensure_node(state, MODELS, part(version.model), "model", scope=version.model)
    run = write_node(
        state,
        JOBS,
        f"train/{version.name}",
        "training_run",
        scope=version.model,
        code_version=event.code_version,
        actor=event.actor,
    )
    for reference in event.dataset_versions:
        link(state, run, "used", _data_used(state, reference))
    write_node(
        state,
        MODELS,
        version.name,
        "model_version",
        scope=version.model,
        number=event.number,
        artifact_digest=event.artifact_digest,
    )
    _named(state, version.key, f"{version.model}@{event.number}")
    link(state, version.key, "version_of", model_key)
    link(state, version.key, "generated_by", run)
    predecessor = version_node(state, event.derived_from) if event.derived_from else None
    if predecessor is not None:
        link(state, version.key, "derived_from", predecessor.key)


def update_version(state: ReadState, event: Any, **attributes: Any) -> None:
    """Record on the version's node what an event says of it, citing the event."""
    version = version_node(state, event.originator_id)
    if version is not None:
        write_node(state, MODELS, version.name, "model_version", **attributes)


def start_validation(state: ReadState, event: Any) -> None:
    """A validation's node, numbered per version: it validated the version."""
    version = version_node(state, event.originator_id)
    if version is None:
        return
    number = next_number(state, str(event.originator_id), "validations")
    key = write_node(
        state,
        VALIDATIONS,
        f"{version.name}/validation-{number}",
        "validation",
        scope=version.model,
        validator=event.actor,
    )
    link(state, key, "validated", version.key)


def update_validation(state: ReadState, event: Any, **attributes: Any) -> None:
    """Record on the version's current validation what an event says of it."""
    version = version_node(state, event.originator_id)
    counts = state.get(COUNTS, str(event.originator_id)) or {}
    if version is None or "validations" not in counts:
        return
    name = f"{version.name}/validation-{counts['validations']}"
    write_node(state, VALIDATIONS, name, "validation", **attributes)


def decide(state: ReadState, event: Any, *, granted: bool) -> None:
    """An approval or rejection's node, numbered per version with the other decisions."""
    version = version_node(state, event.originator_id)
    if version is None:
        return
    number = next_number(state, str(event.originator_id), "decisions")
    key = write_node(
        state,
        APPROVALS,
        f"{version.name}/decision-{number}",
        "approval" if granted else "rejection",
        scope=version.model,
        approver=event.actor,
        artifact_digest=event.artifact_digest,
    )
    link(state, key, "approved" if granted else "rejected", version.key)


def revoke(state: ReadState, event: Any) -> None:
    """Mark the approver's unrevoked approval nodes of the artifact revoked, citing the event."""
    version = version_node(state, event.originator_id)
    if version is None:
        return
    counts = state.get(COUNTS, str(event.originator_id)) or {}
    for number in range(1, int(counts.get("decisions", 0)) + 1):
        name = f"{version.name}/decision-{number}"
        node = state.get(NODE, node_key(APPROVALS, name))
        if (
            node is not None
            and node["type"] == "approval"
            and node.get("approver") == event.actor
            and node.get("artifact_digest") == event.artifact_digest
            and not node.get("revoked")
        ):
            write_node(
                state, APPROVALS, name, "approval", revoked=True, revocation_reason=event.reason
            )
