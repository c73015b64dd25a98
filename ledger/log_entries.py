"""What the full verifier reads from a store: log leaves joined to their stored events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent

__all__ = ["LogEntry", "LogSource"]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One leaf of the log and the stored event it names (None when the row is gone)."""

    leaf_index: int
    leaf_hash: bytes
    originator_id: UUID
    originator_version: int
    stored: StoredEvent | None


@runtime_checkable
class LogSource(Protocol):
    """Read access to a signed store, in pages, for verification."""

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        """Leaves with ``leaf_index >= start`` in index order, at most ``limit``."""

    def count_events(self) -> int:
        """The number of stored events."""

    def select_unlogged_events(self, offset: int, limit: int) -> Sequence[StoredEvent]:
        """Stored events that no leaf names, in insertion order, skipping ``offset``."""
