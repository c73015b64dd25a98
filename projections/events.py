"""How read models recognise events: by the qualified name of their class.

The aggregates declare most events through ``@event("Name")``, which creates the class at run
time, so ``Model.Registered`` is known to the library but not to the type checker; read models
match on ``event_name(event)`` (``"Model.Registered"``) and read the event's attributes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

__all__ = ["DomainEvent", "event_name"]


class DomainEvent(Protocol):
    """What every event has; its own attributes are read by name (``Any``)."""

    originator_id: Any
    originator_version: int
    timestamp: datetime

    def __getattr__(self, name: str) -> Any: ...


def event_name(event: object) -> str:
    """``Aggregate.Event`` for an event of ``domain.aggregates`` (``"ModelVersion.Trained"``)."""
    return type(event).__qualname__
