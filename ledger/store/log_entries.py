"""What the full verifier reads from a store: log leaves joined to their stored events.

Rows are handed over exactly as the database driver returns them, unconverted: SQLite stores
any type in any column, and only ``ledger.store.signed_event`` decides (for the verifier and the
application alike) whether a value has the type and spelling the application writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from eventsourcing.persistence import StoredEvent

__all__ = ["LogEntry", "LogSource"]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One leaf row and the event row it names (None when that row is gone), as stored.

    ``leaf_hash``, ``originator_id`` and ``originator_version`` are the leaf row's raw column
    values, and ``stored`` holds the event row's own raw values: nothing here is trusted until
    ``open_event`` and the verifier have checked it.
    """

    leaf_index: int
    leaf_hash: object
    originator_id: object
    originator_version: object
    stored: StoredEvent | None


@runtime_checkable
class LogSource(Protocol):
    """Read access to a signed store, in pages, for verification."""

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        """Leaves with ``leaf_index >= start`` in index order, at most ``limit``."""

    def count_events(self) -> int:
        """The number of stored events."""

    def select_unlogged_events(self, offset: int, limit: int) -> Sequence[StoredEvent]:
        """Stored event rows, raw, that no leaf names, in insertion order, skipping ``offset``."""
