"""A refused command, recorded as a fact: the security audit trail.

``CommandRefused`` is ``class_version`` 2: v2 records the command's ``subject``, the id text of
the aggregate it was about (``""`` when none). v1 events, recorded before subjects, are read
with ``subject = ""``.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate, event

__all__ = ["CommandRefusal"]


class CommandRefusal(Aggregate):
    """One command that the ledger refused: who tried what, on what, and which rule refused it."""

    class CommandRefused(Aggregate.Created):
        """A command was refused; v2 records the id of the aggregate it was about."""

        class_version = 2

        actor: str
        command: str
        reason: str
        subject: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Refusals recorded before subjects name none."""
            state["subject"] = ""

    @event(CommandRefused)
    def __init__(self, *, actor: str, command: str, reason: str, subject: str) -> None:
        self.actor = actor
        self.command = command
        self.reason = reason
        self.subject = subject
