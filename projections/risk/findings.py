"""Findings as the inventory and the risk register keep them (docs/events.md, section 2.5).

A finding is *open* until it is closed or its risk is accepted, as ``Finding.is_open`` says;
a risk-accepted finding is listed apart, with the signed acceptance. Each finding keeps the
leaves of its events, so every count and title can be proved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from projections.catalog import FINDING
from projections.events import event_name
from projections.read_state import ReadState

__all__ = [
    "SEVERITIES",
    "finding_subject",
    "is_finding_event",
    "open_exceptions",
    "updated_finding",
]

SEVERITIES = ("critical", "high", "medium", "low")
"""Finding severities, most severe first."""

_STATUS_AFTER = {
    "Finding.Assigned": "assigned",
    "Finding.Remediated": "remediated",
    "Finding.RiskAccepted": "risk_accepted",
    "Finding.Closed": "closed",
}


def is_finding_event(event: Any) -> bool:
    """True for the events of a ``Finding``."""
    name = event_name(event)
    return name == "Finding.Raised" or name in _STATUS_AFTER


def finding_subject(state: ReadState, event: Any) -> dict[str, Any] | None:
    """The catalog's ``{"model", "number", ...}`` of the finding an event is about."""
    return state.get(FINDING, str(event.originator_id))


def updated_finding(
    found: Mapping[str, Any] | None, event: Any, subject: Mapping[str, Any], leaf: int
) -> dict[str, Any]:
    """The finding after ``event`` (recorded at ``leaf``); ``found`` is it before (None at
    ``Raised``)."""
    name = event_name(event)
    if name == "Finding.Raised" or found is None:
        return {
            "id": str(event.originator_id),
            "title": event.title,
            "severity": event.severity,
            "version": subject["number"],
            "status": "open",
            "sources": [leaf],
        }
    finding = {**found, "status": _STATUS_AFTER[name], "sources": [*found["sources"], leaf]}
    if name == "Finding.RiskAccepted":
        finding["acceptance"] = {
            "approver": event.actor,
            "rationale": event.rationale,
            "signed_at": event.signed_at,
            "keyid": event.keyid,
            "sources": [leaf],
        }
    return finding


def open_exceptions(findings: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Open findings counted by severity and listed, risk-accepted ones listed apart, and the
    leaves all of it rests on (closed findings are left out)."""
    listed = sorted(findings, key=lambda f: (SEVERITIES.index(f["severity"]), f["id"]))
    still_open = [f for f in listed if f["status"] not in ("risk_accepted", "closed")]
    accepted = [f for f in listed if f["status"] == "risk_accepted"]
    return {
        "value": {
            "by_severity": {s: sum(f["severity"] == s for f in still_open) for s in SEVERITIES},
            "open": [_brief(f) for f in still_open],
            "risk_accepted": [
                {**_brief(f), "approver": f["acceptance"]["approver"]} for f in accepted
            ],
        },
        "sources": sorted({leaf for f in [*still_open, *accepted] for leaf in f["sources"]}),
    }


def _brief(finding: Mapping[str, Any]) -> dict[str, Any]:
    return {key: finding[key] for key in ("id", "title", "severity", "version")}
