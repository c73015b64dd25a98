"""The contract every read model implements: apply one verified domain event to the read side."""

from __future__ import annotations

from typing import Any, Protocol

from projections.read_state import ReadState

__all__ = ["ReadModelProjection"]


class ReadModelProjection(Protocol):
    """A read model: a deterministic function of the log, applied in leaf order.

    ``apply`` must depend only on the event and on what ``state`` holds (never on the clock,
    the batch it arrives in or anything outside the log), so a rebuild from an empty read
    side equals the live state row for row. Events it does not know it ignores.
    """

    name: str

    def apply(self, event: Any, state: ReadState) -> None:
        """Apply ``event`` (a domain event of ``domain.aggregates``) at ``state.position``."""
