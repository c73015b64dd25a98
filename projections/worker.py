"""The projection worker: the verified log, in leaf order, into every read model, exactly once.

``Projector.catch_up`` reads the leaves after the read side's recorded position a batch at a
time; checks each entry as ``govledger verify`` does (``EntryChecker``), decodes it, applies
every read model, and writes the batch's rows with the new position in one transaction (see
``projections.tracking``). A crash loses at most the batch in flight, which the next run
projects again; a concurrent writer makes this one start over from the position it finds.
An entry that fails verification stops the worker before it: nothing after a bad entry is
projected, and the error names the leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ledger.keys.history import KeyHistory, is_keys_aggregate
from ledger.store.log_entries import LogSource
from ledger.store.signed_event import EventPayload
from ledger.verify.stream import EntryChecker
from projections.errors import ProjectionError
from projections.events import event_name
from projections.projection import ReadModelProjection
from projections.read_state import Position
from projections.sql_batch import ConcurrentProjectionError, SqlBatch
from projections.times import utc_text
from projections.tracking import ReadSideRecorder

__all__ = ["DEFAULT_BATCH", "Projector"]

DEFAULT_BATCH = 500
"""Leaves projected per transaction unless told otherwise."""


class Projector:
    """Keeps the read side of ``recorder`` up to date with the log of ``log``."""

    def __init__(
        self,
        *,
        recorder: ReadSideRecorder,
        log: LogSource,
        keys: Callable[[], KeyHistory],
        decode: Callable[[EventPayload], Any],
        projections: Sequence[ReadModelProjection],
        batch_size: int = DEFAULT_BATCH,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self._recorder = recorder
        self._log = log
        self._keys = keys
        self._decode = decode
        self._projections = tuple(projections)
        self._batch_size = batch_size
        self._checker: EntryChecker | None = None

    def position(self) -> int:
        """The log size the read side has processed."""
        with self._recorder.reading() as cursor:
            return self._recorder.position_in(cursor)

    def catch_up(self, until: int | None = None) -> int:
        """Project every leaf after the recorded position (up to log size ``until``).

        Returns the position reached. ProjectionError when an entry fails verification or a
        read model fails on it; everything before that entry stays projected.
        """
        while True:
            start = self.position()
            limit = self._batch_size if until is None else min(self._batch_size, until - start)
            if limit <= 0:
                return start
            entries = self._log.select_log_entries(start, limit)
            if not entries:
                return start
            batch = self._project(start, entries)
            try:
                with self._recorder.writing() as cursor:
                    batch.write(cursor)
            except ConcurrentProjectionError:
                self._checker = None  # someone else moved on: verify again from where they are

    def _checker_at(self, start: int) -> EntryChecker:
        if self._checker is None or self._checker.next_index != start:
            self._checker = EntryChecker(self._keys(), start=start)
        return self._checker

    def _project(self, start: int, entries: Sequence[Any]) -> SqlBatch:
        checker = self._checker_at(start)
        batch = SqlBatch(self._recorder, start)
        with self._recorder.reading() as reader:
            batch.reading_with(reader)
            for entry in entries:
                payload, problems = checker.check(entry)
                if payload is None:
                    self._checker = None
                    reason = "; ".join(str(problem) for problem in problems)
                    raise ProjectionError(
                        f"leaf {entry.leaf_index} failed verification ({reason}): the read "
                        f"side stops at log size {entry.leaf_index}; run `govledger verify`"
                    )
                self._apply(batch, entry.leaf_index, payload)
        return batch

    def _apply(self, batch: SqlBatch, leaf_index: int, payload: EventPayload) -> None:
        if is_keys_aggregate(payload.aggregate_id):
            # A key rotation: evidence for verification, not a governance fact.
            batch.at(Position(leaf_index, ""))
            return
        event = self._decode(payload)
        batch.at(Position(leaf_index, utc_text(event.timestamp)))
        for projection in self._projections:
            try:
                projection.apply(event, batch)
            except Exception as exc:
                raise ProjectionError(
                    f"read model {projection.name!r} failed on leaf {leaf_index} "
                    f"({event_name(event)}): {exc}"
                ) from exc
