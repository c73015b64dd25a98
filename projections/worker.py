"""The projection worker: the verified log, in leaf order, into every read model, exactly once.

``Projector.catch_up`` reads the leaves after the read side's recorded position a batch at a
time; checks each entry as ``govledger verify`` does (``EntryChecker``), decodes it, applies
every read model, and writes the batch's rows with the new position in one transaction (see
``projections.store.tracking``). A crash loses at most the batch in flight, which the next run
projects again; a concurrent writer makes this one start over from the position it finds.
An entry that fails verification stops the worker before it: nothing after a bad entry is
projected, and the error names the leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ledger.errors import VerificationError
from ledger.keys.history import KeyHistory, is_keys_aggregate
from ledger.store.log_entries import LogEntry, LogSource
from ledger.store.signed_event import EventPayload
from ledger.verify.stream import EarlierEntries, EntryChecker
from projections.errors import ProjectionError
from projections.events import event_name
from projections.projection import ReadModelProjection
from projections.read_state import Position, ReadState
from projections.store.memory import InMemoryReadSide
from projections.store.sql_batch import ConcurrentProjectionError, DocumentCache, SqlBatch
from projections.store.tracking import ReadSideRecorder
from projections.times import utc_text

__all__ = [
    "DEFAULT_BATCH",
    "ProjectedLog",
    "Projector",
    "apply_payload",
    "checked_payload",
    "rebuild_in_memory",
]

DEFAULT_BATCH = 500
"""Leaves projected per transaction unless told otherwise."""


class ProjectedLog(LogSource, EarlierEntries, Protocol):
    """The log as the worker reads it: in pages, and, to resume, single earlier events."""


class Projector:
    """Keeps the read side of ``recorder`` up to date with the log of ``log``."""

    def __init__(
        self,
        *,
        recorder: ReadSideRecorder,
        log: ProjectedLog,
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
        self._cache = DocumentCache()

    def position(self) -> int:
        """The log size the read side has processed."""
        with self._recorder.reading() as cursor:
            return self._recorder.position_in(cursor)

    def catch_up(self, until: int | None = None) -> int:
        """Project every leaf after the recorded position (up to log size ``until``).

        Returns the position reached. ProjectionError when an entry fails verification or a
        read model fails on it; everything before that entry stays projected.
        """
        return self._run(until, None, exclusive=False)

    def replay(self, until: int | None = None, until_time: str | None = None) -> int:
        """Project an empty read side from leaf 0, checking every entry fully, as ``verify``.

        Stops at log size ``until``, or before the first event recorded after ``until_time``
        (RFC 3339 UTC, ``projections.times`` spelling). ProjectionError when the read side is
        not empty, or when another worker writes to it meanwhile: stop it and replay again.
        """
        if self.position() != 0:
            raise ProjectionError("replay needs an empty read side: clear it first")
        self._checker = EntryChecker(self._keys(), start=0)
        return self._run(until, until_time, exclusive=True)

    def _run(self, until: int | None, until_time: str | None, *, exclusive: bool) -> int:
        if self.position() == 0 and self._stores_no_document():
            self._cache.start_empty()
        while True:
            start = self.position()
            limit = self._batch_size if until is None else min(self._batch_size, until - start)
            if limit <= 0:
                return start
            entries = self._log.select_log_entries(start, limit)
            if not entries:
                return start
            batch, stopped = self._project(start, entries, until_time)
            try:
                with self._recorder.writing() as cursor:
                    batch.write(cursor)
            except ConcurrentProjectionError as exc:
                self._checker = None  # someone else moved on: verify again from where they are
                self._cache.clear()
                if exclusive:
                    raise ProjectionError(
                        f"another worker projected meanwhile ({exc}): stop it, then replay"
                    ) from None
                continue
            self._cache.update(batch.stored_after())
            if stopped:
                return batch.end

    def _stores_no_document(self) -> bool:
        with self._recorder.reading() as cursor:
            cursor.execute("SELECT 1 FROM read_keys LIMIT 1")
            return cursor.fetchone() is None

    def _checker_at(self, start: int) -> EntryChecker:
        if self._checker is None or self._checker.next_index != start:
            try:
                self._checker = EntryChecker(self._keys(), start=start, earlier=self._log)
            except VerificationError as exc:
                raise ProjectionError(
                    f"the log before log size {start} does not verify ({exc}): run "
                    "`govledger verify`"
                ) from None
        return self._checker

    def _project(
        self, start: int, entries: Sequence[LogEntry], until_time: str | None
    ) -> tuple[SqlBatch, bool]:
        checker = self._checker_at(start)
        batch = SqlBatch(self._recorder, start, self._cache)
        with self._recorder.reading() as reader:
            batch.reading_with(reader)
            for entry in entries:
                try:
                    payload = checked_payload(checker, entry)
                except ProjectionError:
                    self._checker = None
                    raise
                if not self._apply(batch, entry.leaf_index, payload, until_time):
                    self._checker = None
                    return batch, True
        return batch, False

    def _apply(
        self, batch: SqlBatch, leaf_index: int, payload: EventPayload, until_time: str | None
    ) -> bool:
        return apply_payload(
            batch,
            leaf_index,
            payload,
            decode=self._decode,
            projections=self._projections,
            until_time=until_time,
        )


class _Target(ReadState, Protocol):
    """A read side being written: told the position of each event before it is applied."""

    def at(self, position: Position) -> None: ...


def checked_payload(checker: EntryChecker, entry: LogEntry) -> EventPayload:
    """The entry's payload once ``checker`` found nothing wrong with it; ProjectionError, naming
    the leaf and every problem, otherwise."""
    payload, problems = checker.check(entry)
    if payload is None:
        reason = "; ".join(str(problem) for problem in problems)
        raise ProjectionError(
            f"leaf {entry.leaf_index} failed verification ({reason}): the read side stops at "
            f"log size {entry.leaf_index}; run `govledger verify`"
        )
    return payload


def apply_payload(
    target: _Target,
    leaf_index: int,
    payload: EventPayload,
    *,
    decode: Callable[[EventPayload], Any],
    projections: Sequence[ReadModelProjection],
    until_time: str | None = None,
) -> bool:
    """Apply one verified entry to every read model; False (nothing applied) when its event
    was recorded after ``until_time``."""
    if is_keys_aggregate(payload.aggregate_id):
        # A key rotation: evidence for verification, not a governance fact.
        target.at(Position(leaf_index, ""))
        return True
    event = decode(payload)
    recorded_at = utc_text(event.timestamp)
    if until_time is not None and recorded_at > until_time:
        return False
    target.at(Position(leaf_index, recorded_at))
    for projection in projections:
        try:
            projection.apply(event, target)
        except Exception as exc:
            raise ProjectionError(
                f"read model {projection.name!r} failed on leaf {leaf_index} "
                f"({event_name(event)}): {exc}"
            ) from exc
    return True


def rebuild_in_memory(
    *,
    log: LogSource,
    keys: Callable[[], KeyHistory],
    decode: Callable[[EventPayload], Any],
    projections: Sequence[ReadModelProjection],
    until: int,
) -> InMemoryReadSide:
    """Every read model rebuilt in memory from the first ``until`` entries, each checked as
    ``verify`` checks it: what the stored read side must equal. ProjectionError on a bad entry."""
    checker = EntryChecker(keys(), start=0)
    read_side = InMemoryReadSide()
    while checker.next_index < until:
        entries = log.select_log_entries(
            checker.next_index, min(DEFAULT_BATCH, until - checker.next_index)
        )
        if not entries:
            break
        for entry in entries:
            payload = checked_payload(checker, entry)
            apply_payload(
                read_side, entry.leaf_index, payload, decode=decode, projections=projections
            )
    return read_side
