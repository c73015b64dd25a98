"""The model inventory (SR 11-7): one row per model, each field with the leaves it rests on.

Document kind ``inventory.model``, key and scope the model's name. Every field of a row is
``{"value": ..., "sources": [leaf, ...]}`` (derived fields add a ``"rule"``), and the row's
``"sources"`` is the union of its fields' leaves.

- purpose, intended use, restrictions, owner, risk tier: ``Model.Registered`` (fixed there);
- developers: the actors of ``ModelVersion.Trained``; validators: the actors who started or
  concluded a validation (``ValidationStarted`` / ``ValidationConcluded``);
- status: ``STATUS_RULE``, from the states of the model's versions;
- last validation: the last ``ValidationConcluded`` of any version (its time, outcome, version);
- next validation: ``NEXT_VALIDATION_RULE``. The policy document has no revalidation interval
  (docs/events.md section 4 allows no member beyond those listed), so the interval is this
  documented default, by risk tier;
- open exceptions: open findings counted by severity and listed; risk-accepted ones apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from projections.catalog import version_name
from projections.errors import NotFoundError
from projections.events import event_name
from projections.read_state import ReadState, ReadView
from projections.risk.dates import months_after
from projections.risk.findings import (
    finding_subject,
    is_finding_event,
    open_exceptions,
    updated_finding,
)

__all__ = [
    "MODEL",
    "NEXT_VALIDATION_RULE",
    "REVALIDATION_MONTHS",
    "ROW",
    "STATUS_RULE",
    "InventoryProjection",
    "inventory",
    "inventory_entry",
]

MODEL = "inventory.model"
"""Model name -> the inventory record as it stands (registration, people, versions, findings)."""
ROW = "inventory.row"
"""Model name -> the inventory's row for it, as queries return it, kept beside the record so a
query reads only what it answers (a record holds every version's state)."""

REVALIDATION_MONTHS = {"high": 12, "medium": 24, "low": 24}
"""Months between validations, by risk tier (the policy sets no interval)."""

NEXT_VALIDATION_RULE = (
    "last concluded validation + 12 months for a high risk tier, + 24 months for medium and "
    "low (default: the policy sets no revalidation interval)"
)
STATUS_RULE = (
    "registered: no version trained; retired: every version retired; in_production: a live "
    "version deployed in prod; deployed: a live version deployed in dev or uat only; approved: "
    "a live version with an approval not revoked; validated: a live version passed validation; "
    "else in_development"
)
_REGISTERED_FIELDS = ("purpose", "intended_use", "restrictions", "owner", "risk_tier")


class InventoryProjection:
    """Keeps one ``inventory.model`` document per model, updated at each event about it."""

    name = "inventory"

    def apply(self, event: Any, state: ReadState) -> None:
        """Fold an event about a model, its versions or its findings into its record."""
        name = event_name(event)
        leaf = state.position.leaf_index
        if name == "Model.Registered":
            self._register(event, state, leaf)
        elif is_finding_event(event):
            subject = finding_subject(state, event)
            if subject is not None:
                _update(state, subject["model"], lambda r: _note_finding(r, event, subject, leaf))
        elif name.startswith("ModelVersion."):
            version = version_name(state, event.originator_id)
            change = _VERSION_CHANGES.get(name.removeprefix("ModelVersion."))
            if version is not None and change is not None:
                _update(
                    state,
                    version.model,
                    lambda r: change(
                        r, str(version.number), event, state.position.recorded_at, leaf
                    ),
                )

    @staticmethod
    def _register(event: Any, state: ReadState, leaf: int) -> None:
        record: dict[str, Any] = {
            field: {"value": getattr(event, field), "sources": [leaf]}
            for field in _REGISTERED_FIELDS
        }
        record.update(
            model=event.name,
            registered=leaf,
            developers={"value": [], "sources": []},
            validators={"value": [], "sources": []},
            versions={},
            last_validation={"value": None, "sources": []},
            findings={},
        )
        _put(state, event.name, record)


def _update(state: ReadState, model: str, change: Callable[[dict[str, Any]], None]) -> None:
    record = state.get(MODEL, model)
    if record is not None:
        change(record)
        _put(state, model, record)


def _put(state: ReadState, model: str, record: dict[str, Any]) -> None:
    state.put(MODEL, model, record, scope=model)
    state.put(ROW, model, _row(record), scope=model)


def _add_person(people: dict[str, Any], actor: str, leaf: int) -> None:
    people["value"] = sorted({*people["value"], actor})
    people["sources"] = [*people["sources"], leaf]


def _trained(record: dict[str, Any], number: str, event: Any, _: str, leaf: int) -> None:
    _add_person(record["developers"], event.actor, leaf)
    record["versions"][number] = {
        "id": str(event.originator_id),
        "artifact_digest": event.artifact_digest,
        "trained": leaf,
        "validation": None,
        "approvals": [],
        "approved_by": {},
        "rejected": None,
        "environments": {},
        "retired": None,
    }


def _validation_started(record: dict[str, Any], _: str, event: Any, __: str, leaf: int) -> None:
    _add_person(record["validators"], event.actor, leaf)


def _concluded(record: dict[str, Any], number: str, event: Any, at: str, leaf: int) -> None:
    _add_person(record["validators"], event.actor, leaf)
    record["versions"][number]["validation"] = {
        "outcome": event.outcome,
        "evidence": list(event.evidence_digests),
        "leaf": leaf,
    }
    last = {
        "at": at,
        "signed_at": event.signed_at,
        "outcome": event.outcome,
        "version": int(number),
    }
    record["last_validation"] = {"value": last, "sources": [leaf]}


def _granted(record: dict[str, Any], number: str, event: Any, _: str, leaf: int) -> None:
    version = record["versions"][number]
    version["approvals"].append(leaf)
    version.setdefault("approved_by", {}).setdefault(event.actor, []).append(leaf)


def _revoked(record: dict[str, Any], number: str, event: Any, _: str, __: int) -> None:
    """The approver's approvals of the version stand no more (the only artifact it has)."""
    version = record["versions"][number]
    withdrawn = version.setdefault("approved_by", {}).pop(event.actor, [])
    version["approvals"] = [leaf for leaf in version["approvals"] if leaf not in withdrawn]


def _rejected(record: dict[str, Any], number: str, _: Any, __: str, leaf: int) -> None:
    record["versions"][number]["rejected"] = leaf


def _deployed(record: dict[str, Any], number: str, event: Any, _: str, leaf: int) -> None:
    record["versions"][number]["environments"][event.environment] = leaf


def _rolled_back(record: dict[str, Any], number: str, event: Any, _: str, __: int) -> None:
    record["versions"][number]["environments"].pop(event.environment, None)


def _retired(record: dict[str, Any], number: str, _: Any, __: str, leaf: int) -> None:
    record["versions"][number].update(retired=leaf, environments={})


_VERSION_CHANGES: dict[str, Callable[[dict[str, Any], str, Any, str, int], None]] = {
    "Trained": _trained,
    "ValidationStarted": _validation_started,
    "ValidationConcluded": _concluded,
    "ApprovalGranted": _granted,
    "ApprovalRejected": _rejected,
    "ApprovalRevoked": _revoked,
    "Deployed": _deployed,
    "RolledBack": _rolled_back,
    "Retired": _retired,
}


def _note_finding(
    record: dict[str, Any], event: Any, subject: Mapping[str, Any], leaf: int
) -> None:
    key = str(event.originator_id)
    record["findings"][key] = updated_finding(record["findings"].get(key), event, subject, leaf)


def model_status(versions: Mapping[str, Mapping[str, Any]], registered: int) -> dict[str, Any]:
    """The model's status by ``STATUS_RULE``, the environments it runs in, and its leaves."""
    live = [v for v in versions.values() if v["retired"] is None]
    if not versions:
        return _status("registered", [], [registered])
    if not live:
        return _status("retired", [], [v["retired"] for v in versions.values()])
    running = [v for v in live if v["environments"]]
    if running:
        environments = sorted({env for v in running for env in v["environments"]})
        leaves = [leaf for v in running for leaf in v["environments"].values()]
        return _status(
            "in_production" if "prod" in environments else "deployed", environments, leaves
        )
    approved = [v for v in live if v["approvals"] and v["rejected"] is None]
    if approved:
        return _status("approved", [], [leaf for v in approved for leaf in v["approvals"]])
    passed = [v for v in live if (v["validation"] or {}).get("outcome") == "passed"]
    if passed:
        return _status("validated", [], [v["validation"]["leaf"] for v in passed])
    return _status("in_development", [], [v["trained"] for v in live])


def _status(value: str, environments: list[str], leaves: list[int]) -> dict[str, Any]:
    return {
        "value": value,
        "environments": environments,
        "rule": STATUS_RULE,
        "sources": sorted(leaves),
    }


def next_validation(last: Mapping[str, Any], tier: Mapping[str, Any]) -> dict[str, Any]:
    """When the model is due for validation again by ``NEXT_VALIDATION_RULE`` (None if never
    validated), resting on the last validation and the registered risk tier."""
    if last["value"] is None:
        return {"value": None, "rule": NEXT_VALIDATION_RULE, "sources": []}
    due = months_after(last["value"]["at"], REVALIDATION_MONTHS[tier["value"]])
    sources = sorted({*last["sources"], *tier["sources"]})
    return {"value": due, "rule": NEXT_VALIDATION_RULE, "sources": sources}


def _row(record: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"model": record["model"]}
    for field in (*_REGISTERED_FIELDS, "developers", "validators"):
        row[field] = record[field]
    row["status"] = model_status(record["versions"], record["registered"])
    row["last_validation"] = record["last_validation"]
    row["next_validation"] = next_validation(record["last_validation"], record["risk_tier"])
    row["open_exceptions"] = open_exceptions(record["findings"].values())
    leaves = {
        leaf for value in row.values() if isinstance(value, dict) for leaf in value["sources"]
    }
    row["sources"] = sorted(leaves)
    return row


def inventory(view: ReadView, as_of: int, *, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """The models registered by log size ``as_of``, by name, with their SR 11-7 fields: the
    page of at most ``limit`` after the first ``offset``, and how many there are in all."""
    if limit < 1 or offset < 0:
        raise ValueError(f"limit {limit} must be at least 1 and offset {offset} not negative")
    page = view.documents(ROW, as_of, limit=limit, offset=offset)
    return {
        "rows": [dict(document.body) for document in page],
        "count": view.count_documents(ROW, as_of),
        "limit": limit,
        "offset": offset,
    }


def inventory_entry(view: ReadView, as_of: int, model: str) -> dict[str, Any]:
    """The inventory row of ``model`` at ``as_of``; NotFoundError if it is not registered."""
    document = view.document(ROW, model, as_of)
    if document is None:
        known = [found.key for found in view.documents(ROW, as_of)]
        raise NotFoundError(
            f"no model {model!r} at log size {as_of}; registered: {', '.join(known) or 'none'}"
        )
    return dict(document.body)
