"""The state of models, datasets and findings as of a log size, from the read side's documents.

Queries in the shape ``api.read_side.Query`` takes, so ``cited`` answers them with the log they
reflect. Models come from the inventory (its row, and its record of each version's state);
datasets from the lineage graph (a dataset's node and its versions' nodes); findings from the
inventory's records. Everything cites the leaves it rests on; an unknown name is
``NotFoundError`` naming those that exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from projections.catalog import DATASET
from projections.errors import NotFoundError
from projections.inventory import MODEL as MODEL_RECORD
from projections.inventory import ROW, inventory_entry
from projections.lineage.nodes import DATASETS, NODE, node_key, part
from projections.read_state import ReadView
from projections.risk.findings import SEVERITIES

__all__ = ["dataset_page", "dataset_state", "findings", "model_page", "model_state"]


def model_page(view: ReadView, as_of: int, *, limit: int, offset: int) -> dict[str, Any]:
    """A page of the models registered at ``as_of`` (their inventory rows), by name."""
    page = view.documents(ROW, as_of, limit=limit, offset=offset)
    return {
        "data": [dict(document.body) for document in page],
        "count": view.count_documents(ROW, as_of),
        "limit": limit,
        "offset": offset,
    }


def model_state(view: ReadView, as_of: int, name: str) -> dict[str, Any]:
    """Model ``name``'s inventory row and each version's state, by number."""
    row = inventory_entry(view, as_of, name)
    found = view.document(MODEL_RECORD, name, as_of)
    record: Mapping[str, Any] = found.body if found is not None else {"versions": {}}
    versions = [
        version_state(int(number), version)
        for number, version in sorted(record["versions"].items(), key=lambda i: int(i[0]))
    ]
    return {"model": row, "versions": versions}


def version_state(number: int, version: Mapping[str, Any]) -> dict[str, Any]:
    """One version as the inventory records it, with its state and the leaves it rests on."""
    validation = version.get("validation")
    environments = dict(version.get("environments", {}))
    leaves = {
        version["trained"],
        *version.get("approvals", []),
        *environments.values(),
        *(leaf for leaf in (version.get("rejected"), version.get("retired")) if leaf is not None),
        *([validation["leaf"]] if validation else []),
    }
    return {
        "number": number,
        "id": version.get("id"),
        "artifact_digest": version.get("artifact_digest"),
        "state": _state(version, validation, environments),
        "validation": validation,
        "approvals": list(version.get("approvals", [])),
        "approved_by": sorted(version.get("approved_by", {})),
        "environments": environments,
        "rejected": version.get("rejected"),
        "retired": version.get("retired"),
        "sources": sorted(leaves),
    }


def _state(
    version: Mapping[str, Any],
    validation: Mapping[str, Any] | None,
    environments: Mapping[str, int],
) -> str:
    if version.get("retired") is not None:
        return "retired"
    if environments:
        return "deployed"
    if version.get("rejected") is not None:
        return "rejected"
    if version.get("approvals"):
        return "approved"
    if validation:
        return f"validation_{validation['outcome']}"
    return "trained"


def dataset_page(view: ReadView, as_of: int, *, limit: int, offset: int) -> dict[str, Any]:
    """A page of the datasets registered at ``as_of`` (their lineage nodes), by name."""
    names = sorted(str(document.body["name"]) for document in view.documents(DATASET, as_of))
    chosen = names[offset : offset + limit]
    keys = [node_key(DATASETS, part(name)) for name in chosen]
    nodes = view.documents_by_keys(NODE, keys, as_of)
    return {
        "data": [dict(nodes[key].body) for key in keys if key in nodes],
        "count": len(names),
        "limit": limit,
        "offset": offset,
    }


def dataset_state(view: ReadView, as_of: int, name: str) -> dict[str, Any]:
    """Dataset ``name``'s node and its versions' nodes (each with its digest and sources)."""
    found = view.document(NODE, node_key(DATASETS, part(name)), as_of)
    if found is None or not found.body.get("registered"):
        known = sorted(str(d.body["name"]) for d in view.documents(DATASET, as_of))
        raise NotFoundError(
            f"no dataset {name!r} at log size {as_of}; registered: {', '.join(known) or 'none'}"
        )
    count = int(found.body.get("versions", 0))
    keys = [node_key(DATASETS, f"{part(name)}@{number}") for number in range(1, count + 1)]
    versions = view.documents_by_keys(NODE, keys, as_of)
    return {
        "dataset": dict(found.body),
        "versions": [dict(versions[key].body) for key in keys if key in versions],
    }


def findings(view: ReadView, as_of: int, model: str | None = None) -> dict[str, Any]:
    """Every finding (of ``model``) at ``as_of`` with its status, by model, version, severity."""
    if model is not None:
        inventory_entry(view, as_of, model)  # NotFoundError naming the models there are
    rows = [
        {"model": document.key, **finding}
        for document in view.documents(MODEL_RECORD, as_of, scope=model)
        for finding in document.body["findings"].values()
    ]
    rows.sort(key=lambda f: (f["model"], f["version"], SEVERITIES.index(f["severity"]), f["id"]))
    return {"data": rows, "count": len(rows)}
