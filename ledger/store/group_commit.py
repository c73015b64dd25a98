"""Group commit: concurrent appends share one signed write transaction.

A caller that finds no transaction in flight becomes the leader and writes at once, alone: a
solo append costs what it did before, with no waiting to gather company. Callers that arrive
while the leader writes queue up; when the leader is done, one of them leads the next batch,
taking the whole queue (at most ``max_batch`` calls) into one transaction: one write lock, one
commit. The recorder's batch writer gives each call its own savepoint, so a call that fails
(e.g. the optimistic concurrency check) fails alone while the others commit.

Every caller gets back what a solo call would (its notification ids) or its own exception. An
error that escapes the batch writer (the commit itself failed, the connection dropped) is
raised to every caller of that batch that has no exception of its own. Leadership is released
in a ``finally``, so a leader that fails never leaves the queue waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

from ledger.store.sealing import SealedEvent

__all__ = ["DEFAULT_MAX_BATCH", "BatchWriter", "GroupCommitter", "PendingAppend"]

DEFAULT_MAX_BATCH = 256


@dataclass(eq=False)
class PendingAppend:
    """One caller's ``insert_events`` call, and its outcome once its batch is written.

    The batch writer sets ``notification_ids`` (and fills ``sealed``) or ``error``.
    """

    events: Sequence[StoredEvent]
    kwargs: dict[str, Any]
    sealed: list[SealedEvent] = field(default_factory=list)
    notification_ids: Sequence[int] | None = None
    error: BaseException | None = None
    done: bool = False


BatchWriter = Callable[[Sequence[PendingAppend]], None]
"""Write a batch in one transaction, setting each call's outcome; raise if the commit fails."""


@dataclass
class CommitStats:
    """How many calls were written in how many transactions (observable, for tests and benches)."""

    calls: int = 0
    transactions: int = 0
    largest_batch: int = 0


class GroupCommitter:
    """Runs ``insert_events`` calls through ``write_one`` alone or ``write_batch`` together.

    ``write_one`` is the recorder's solo path (unchanged cost); ``write_batch`` writes two or
    more calls in one transaction, each in its own savepoint. With ``enabled`` false every call
    takes the solo path on its own, concurrently, as before group commit (the baseline).
    """

    def __init__(
        self,
        write_one: BatchWriter,
        write_batch: BatchWriter,
        *,
        max_batch: int = DEFAULT_MAX_BATCH,
        enabled: bool = True,
    ) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one call")
        self._write_one = write_one
        self._write_batch = write_batch
        self.max_batch = max_batch
        self.enabled = enabled
        self.stats = CommitStats()
        self._queue: list[PendingAppend] = []
        self._leading = False
        self._changed = threading.Condition(threading.Lock())

    @property
    def waiting(self) -> int:
        """How many calls are queued behind the transaction in flight."""
        with self._changed:
            return len(self._queue)

    def submit(self, pending: PendingAppend) -> PendingAppend:
        """Write ``pending`` (alone or with others queued meanwhile); return it with its outcome."""
        if not self.enabled:
            self._run(self._write_one, [pending])
            return pending
        with self._changed:
            self._queue.append(pending)
            while not pending.done and self._leading:
                self._changed.wait()
            if pending.done:
                return pending
            self._leading = True
        try:
            self._lead_until(pending)
        finally:
            with self._changed:
                self._leading = False
                self._changed.notify_all()
        return pending

    def _lead_until(self, pending: PendingAppend) -> None:
        """Write batches until ``pending`` is written (it may be beyond the first batch's cap)."""
        while not pending.done:
            self._lead()

    def _lead(self) -> None:
        """Take the queue (up to the cap) and write it; wake its callers however it ends."""
        with self._changed:
            batch = self._queue[: self.max_batch]
            del self._queue[: len(batch)]
        try:
            self._run(self._write_one if len(batch) == 1 else self._write_batch, batch)
        finally:
            with self._changed:
                for item in batch:
                    item.done = True
                self._changed.notify_all()

    def _run(self, writer: BatchWriter, batch: Sequence[PendingAppend]) -> None:
        try:
            writer(batch)
        except BaseException as exc:  # handed to every caller of the batch
            for item in batch:
                if item.error is None:
                    item.notification_ids = None
                    item.error = exc
        finally:
            with self._changed:
                self.stats.calls += len(batch)
                self.stats.transactions += 1
                self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
            for item in batch:
                item.done = True
