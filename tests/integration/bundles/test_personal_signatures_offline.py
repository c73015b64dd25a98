"""The responsible persons' signatures checked again from a bundle's events alone: every one the
demo recorded verifies; a changed signature, a changed evidence digest or a missing history is
named for its leaf only."""

from __future__ import annotations

import dataclasses
from typing import Any

from api.exports.assemble import Evidence
from api.exports.context import BundleEvent, project_events
from api.exports.personal_signatures import VERIFIED, signed_decisions


def _project(events: list[BundleEvent], size: int) -> Any:
    decoded, read_side = project_events(
        [(e.leaf_index, e.envelope, e.payload) for e in events], size
    )
    return decoded, read_side


def _with(evidence: Evidence, events: list[BundleEvent]) -> Any:
    context = evidence.context
    decoded, read_side = _project(events, context.as_of)
    return dataclasses.replace(context, events=decoded, view=read_side)


def _changed(event: BundleEvent, **members: Any) -> BundleEvent:
    payload = dataclasses.replace(event.payload, state={**event.state, **members})
    return dataclasses.replace(event, payload=payload)


def test_every_signed_decision_of_the_demo_verifies_offline(demo_evidence: Evidence) -> None:
    decisions = signed_decisions(demo_evidence.context)
    actions = sorted({d.action for d in decisions})
    assert actions == ["approve", "conclude_validation"]
    assert len(decisions) >= 7
    assert all(d.status == VERIFIED for d in decisions), decisions


def test_a_changed_signature_or_evidence_fails_for_its_leaf_only(demo_evidence: Evidence) -> None:
    events = list(demo_evidence.context.events)
    approvals = [i for i, e in enumerate(events) if e.name == "ModelVersion.ApprovalGranted"]
    conclusions = [i for i, e in enumerate(events) if e.name.endswith("ValidationConcluded")]
    first, second = approvals[0], conclusions[-1]
    signature = events[first].state["signature"]
    events[first] = _changed(events[first], signature=signature[:-4] + "AAA=")
    events[second] = _changed(events[second], evidence_digests=["sha256:" + "0" * 64])

    decisions = {d.leaf_index: d for d in signed_decisions(_with(demo_evidence, events))}

    failed = {leaf for leaf, d in decisions.items() if not d.verified}
    assert failed == {events[first].leaf_index, events[second].leaf_index}
    assert (
        "does not verify over the rebuilt statement" in decisions[events[first].leaf_index].status
    )


def test_a_signer_whose_history_is_missing_is_not_verified(demo_evidence: Evidence) -> None:
    events = [
        e
        for e in demo_evidence.context.events
        if not (e.name.startswith("Principal.") and "ann-approver" in str(e.state.get("name", "")))
    ]
    decisions = signed_decisions(_with(demo_evidence, events))
    ann = [d for d in decisions if d.signer == "ann-approver"]
    assert ann
    assert all("does not carry 'ann-approver'" in d.status for d in ann)
    assert all(d.verified for d in decisions if d.signer != "ann-approver")
