"""What the regulatory documents read from a bundle: its events by name, the version each
model-version event is about, the principals and their roles, the read side's answers.

All of it is derived from the ``BundleContext`` alone, in leaf order, so the documents are
reproducible from the bundle's events.
"""

from __future__ import annotations

from typing import Any

from api.exports.context import BundleContext, BundleEvent
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory_entry
from projections.timeline import timeline

__all__ = [
    "Principal",
    "deployment_answer",
    "inventory_answer",
    "named",
    "principals",
    "timeline_rows",
    "version_numbers",
    "version_of",
    "why_answer",
]

Principal = tuple[str, tuple[str, ...], tuple[int, ...]]  # name, roles held, leaves


def named(context: BundleContext, *names: str) -> list[BundleEvent]:
    """The bundle's events of the given class names (``ModelVersion.Deployed``...), by leaf."""
    return [event for event in context.events if event.name in names]


def timeline_rows(context: BundleContext) -> list[dict[str, Any]]:
    """Every row of the model's timeline at the cut, in leaf order."""
    rows: list[dict[str, Any]] = []
    while True:
        page = timeline(context.view, context.as_of, context.model, limit=500, offset=len(rows))
        rows.extend(page["rows"])
        if page["count"] < 500:
            return rows


def version_numbers(context: BundleContext) -> dict[str, int]:
    """Model-version aggregate id -> version number, from the timeline of the model."""
    numbers: dict[str, int] = {}
    for row in timeline_rows(context):
        if row["event"].startswith("ModelVersion.") and row.get("version") is not None:
            numbers[str(row["aggregate_id"])] = int(row["version"])
    return numbers


def version_of(numbers: dict[str, int], event: BundleEvent) -> int | None:
    """The version a model-version event (or an event naming ``model_version_id``) is about,
    given ``version_numbers``."""
    target = event.state.get("model_version_id")
    if isinstance(target, dict) and "_data_" in target:
        hexed = str(target["_data_"])
        aggregate = f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
        return numbers.get(aggregate)
    return numbers.get(event.payload.aggregate_id)


def why_answer(context: BundleContext) -> dict[str, Any]:
    """The ``why`` answer for the bundle's model (and version) at the cut."""
    return why(context.view, context.as_of, context.model, context.version)


def inventory_answer(context: BundleContext) -> dict[str, Any]:
    """The model's inventory entry at the cut."""
    return inventory_entry(context.view, context.as_of, context.model)


def deployment_answer(context: BundleContext) -> dict[str, Any]:
    """The model's deployments and deployment history at the cut."""
    return deployments(context.view, context.as_of, context.model)


def principals(context: BundleContext) -> list[Principal]:
    """Every principal the bundle registers, with the roles held at the cut and the leaves of
    their registration and role changes, sorted by name."""
    roles: dict[str, set[str]] = {}
    leaves: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for event in named(
        context, "Principal.Registered", "Principal.RoleGranted", "Principal.RoleRevoked"
    ):
        aggregate = event.payload.aggregate_id
        if event.name == "Principal.Registered":
            names[aggregate] = str(event.state["name"])
            roles[aggregate] = set(event.state.get("roles", []))
        elif event.name == "Principal.RoleGranted":
            roles.setdefault(aggregate, set()).add(str(event.state["role"]))
        else:
            roles.setdefault(aggregate, set()).discard(str(event.state["role"]))
        leaves.setdefault(aggregate, []).append(event.leaf_index)
    return sorted(
        (names.get(key, key), tuple(sorted(roles[key])), tuple(leaves[key])) for key in roles
    )
