"""A bundle's events are enough: the read side projected from them alone answers the auditor's
questions about its model exactly as the full read side does (bar the root of the log)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.composition import Ledger
from api.exports.assemble import Evidence, gather
from api.read_side import read_view
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory_entry
from projections.read_state import ReadView
from projections.risk.register import risk_register
from projections.timeline import timeline

MODEL = "credit-risk"

Question = Callable[[ReadView, int], dict[str, Any]]
QUESTIONS: dict[str, Question] = {
    "why": lambda view, size: why(view, size, MODEL),
    "why v2": lambda view, size: why(view, size, MODEL, 2),
    "inventory": lambda view, size: inventory_entry(view, size, MODEL),
    "risk register": lambda view, size: risk_register(view, size, MODEL),
    "deployments": lambda view, size: deployments(view, size, MODEL),
    "timeline": lambda view, size: timeline(view, size, MODEL, limit=1000),
}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_the_bundles_events_answer_as_the_full_read_side_does(
    question: str, demo_ledger: Ledger, demo_evidence: Evidence
) -> None:
    context = demo_evidence.context
    full = read_view(demo_ledger)
    with full.session():
        expected = QUESTIONS[question](full, context.as_of)

    assert QUESTIONS[question](context.view, context.as_of) == expected


def test_the_bundle_leaves_out_what_is_not_about_the_model(
    demo_ledger: Ledger, demo_evidence: Evidence
) -> None:
    context = demo_evidence.context
    carried = [event.leaf_index for event in context.events]
    assert carried == sorted(set(carried))
    assert carried[0] == 0
    assert len(carried) < context.as_of  # other principals' and data's events stay out
    one = gather(demo_ledger, MODEL, 2, None).context
    assert {e.leaf_index for e in one.events} < set(carried)
    trained = {e.leaf_index for e in context.events if e.name == "ModelVersion.Trained"}
    assert len(trained) == 3
    # v2 was mitigated from v1, so v1 is part of its story; v3 came later and is not.
    assert len({e.leaf_index for e in one.events if e.name == "ModelVersion.Trained"}) == 2
    assert why(one.view, one.as_of, MODEL, 2) == why(context.view, context.as_of, MODEL, 2)
