"""Project an application's whole history in memory, as the worker does from the signed log."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application

from projections.projection import ReadModelProjection
from projections.read_state import Position
from projections.store.memory import InMemoryReadSide
from projections.times import utc_text


def project_in_memory(
    app: Application[Any],
    *projections: ReadModelProjection,
    read_side: InMemoryReadSide | None = None,
) -> InMemoryReadSide:
    """Apply every event ``app`` recorded (after what ``read_side`` holds) in log order."""
    read_side = read_side or InMemoryReadSide()
    start = read_side.size()
    notifications = app.recorder.select_notifications(start=start + 1, limit=1_000_000)
    for leaf_index, notification in enumerate(notifications, start=start):
        event: Any = app.mapper.to_domain_event(notification)
        read_side.at(Position(leaf_index, utc_text(event.timestamp)))
        for projection in projections:
            projection.apply(event, read_side)
    return read_side
