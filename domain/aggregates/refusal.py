"""A refused command, recorded as a fact: the security audit trail."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

__all__ = ["CommandRefusal"]


class CommandRefusal(Aggregate):
    """One command that the ledger refused: who tried what, and which rule refused it."""

    @event("CommandRefused")
    def __init__(self, *, actor: str, command: str, reason: str) -> None:
        self.actor = actor
        self.command = command
        self.reason = reason
