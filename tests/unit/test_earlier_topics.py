"""Events recorded under the flat layout's topics still resolve after the move (issue 8)."""

from __future__ import annotations

from dataclasses import replace

from eventsourcing.utils import resolve_topic

from domain.aggregates.dataset import Dataset
from domain.aggregates.principal import Principal
from domain.aggregates.refusal import CommandRefusal
from domain.application import GovernanceApplication


def test_topics_of_the_flat_layout_resolve_to_the_moved_event_classes() -> None:
    assert resolve_topic("domain.dataset:Dataset.VersionAdded") is Dataset.VersionAdded
    assert resolve_topic("domain.principal:Principal.KeyRevoked") is Principal.KeyRevoked
    assert resolve_topic("domain.refusal:CommandRefusal") is CommandRefusal


def test_a_history_stored_under_the_earlier_topics_is_read_back() -> None:
    recorded = GovernanceApplication()
    assert recorded.bootstrap_admin("admin")
    admin_id = recorded.get_principal("admin").id
    earlier = [
        replace(s, topic=s.topic.replace("domain.aggregates.principal:", "domain.principal:"))
        for s in recorded.recorder.select_events(admin_id)
    ]
    assert all(s.topic.startswith("domain.principal:") for s in earlier)

    reader = GovernanceApplication()
    reader.recorder.insert_events(earlier)

    assert reader.get_principal("admin").holds_any({"admin"})
