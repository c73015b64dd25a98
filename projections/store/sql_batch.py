"""One batch of projected events, kept in memory, then written in one transaction.

``SqlBatch`` is the ``ReadState`` projections write to while the worker applies a batch: reads
see the batch's own changes over the stored rows; ``write`` turns the changes into rows (new
document versions, closed ones, keys, edges, entries, log times) and records the new position
in the same transaction. Versions are cut per event, never per batch, so the rows are the same
whatever the batch boundaries: a rebuild equals the live state row for row.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from projections.read_state import Edge, Entry, Position
from projections.store.bodies import body_text
from projections.store.tracking import Cursor, ReadSideRecorder

__all__ = ["ConcurrentProjectionError", "DocumentCache", "SqlBatch"]

Stored = tuple[str | None, str | None, bool]
"""A document as stored after a batch: its current body text, its scope, whether it has a key."""


class DocumentCache:
    """What earlier batches of one worker left in the documents they touched, so the next batch
    need not read them back: the ``limit`` most recently used. Valid only while that worker
    alone writes: dropped on a ``ConcurrentProjectionError``.

    A cache that has seen every write since the read side was empty, and evicted nothing, is
    ``complete``: a document it does not hold is not stored at all, so a rebuild never asks the
    database for one.
    """

    def __init__(self, limit: int = 50_000) -> None:
        self._limit = limit
        self._stored: OrderedDict[tuple[str, str], Stored] = OrderedDict()
        self.complete = False

    def start_empty(self) -> None:
        """The read side is empty: from now on the cache knows every stored document."""
        self._stored.clear()
        self.complete = True

    def get(self, kind: str, key: str) -> Stored | None:
        """The document as stored, when known; ``(None, None, False)`` for one a complete
        cache has never seen."""
        found = self._stored.get((kind, key))
        if found is not None:
            self._stored.move_to_end((kind, key))
        elif self.complete:
            return (None, None, False)
        return found

    def update(self, stored: dict[tuple[str, str], Stored]) -> None:
        """Remember what a batch just committed, forgetting the least recently used beyond
        ``limit`` (after which the cache is no longer complete)."""
        for place, value in stored.items():
            self._stored[place] = value
            self._stored.move_to_end(place)
        while len(self._stored) > self._limit:
            self._stored.popitem(last=False)
            self.complete = False

    def clear(self) -> None:
        """Forget everything (another writer moved the read side on)."""
        self._stored.clear()
        self.complete = False


_STORED = (
    "SELECT k.scope, d.body FROM read_keys k LEFT JOIN read_documents d "
    "ON d.kind = k.kind AND d.key = k.key AND d.valid_to IS NULL "
    "WHERE k.kind = ? AND k.key = ?"
)
_LOG_TIME = "SELECT log_time FROM read_log_times WHERE leaf_index = ?"


class ConcurrentProjectionError(Exception):
    """Another writer moved the read side on while this batch was projected: project again."""


@dataclass
class _Document:
    """A document's stored current version (if any) and the versions this batch made."""

    stored_body: str | None
    scope: str | None  # None until known (stored key or first put)
    known: bool  # the key is in read_keys already
    versions: list[list[Any]] = field(default_factory=list)  # [valid_from, body, valid_to]
    closes_stored_at: int | None = None

    def current(self) -> str | None:
        if self.versions:
            last = self.versions[-1]
            return str(last[1]) if last[2] is None else None
        return self.stored_body if self.closes_stored_at is None else None


class SqlBatch:
    """``ReadState`` for one batch of events starting at log size ``start``."""

    def __init__(
        self, recorder: ReadSideRecorder, start: int, cache: DocumentCache | None = None
    ) -> None:
        self._recorder = recorder
        self._cache = cache
        self._mark = recorder.placeholder
        self.start = start
        self._position = Position(start - 1, "")
        self._documents: dict[tuple[str, str], _Document] = {}
        self._edges: dict[Edge, int] = {}
        self._entries: list[tuple[int, int, Entry, str, str]] = []
        self._sequence: dict[int, int] = {}
        self._times: list[tuple[int, str]] = []
        self._latest_time: str | None = None
        self._reader: Cursor | None = None

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._mark)

    def _read(self, statement: str, params: tuple[object, ...]) -> Any:
        assert self._reader is not None, "call reading_with first"
        self._reader.execute(self._sql(statement), params)
        return self._reader.fetchone()

    def reading_with(self, cursor: Cursor) -> None:
        """Read stored rows through ``cursor`` while projecting."""
        self._reader = cursor

    @property
    def position(self) -> Position:
        """The event being applied."""
        return self._position

    def at(self, position: Position) -> None:
        """Apply what follows at ``position`` (the next leaf)."""
        if position.leaf_index != self._position.leaf_index + 1:
            raise ValueError(f"leaf {position.leaf_index} after {self._position.leaf_index}")
        self._position = position
        if self._latest_time is None:
            row = self._read(_LOG_TIME, (position.leaf_index - 1,)) if self.start else None
            self._latest_time = row["log_time"] if row else ""
        self._latest_time = max(self._latest_time, position.recorded_at)
        self._times.append((position.leaf_index, self._latest_time))

    @property
    def end(self) -> int:
        """The log size this batch brings the read side to."""
        return self._position.log_size

    def _document(self, kind: str, key: str) -> _Document:
        found = self._documents.get((kind, key))
        if found is None:
            stored = self._cache.get(kind, key) if self._cache is not None else None
            if stored is None:
                row = self._read(_STORED, (kind, key))
                stored = (row["body"], row["scope"], True) if row else (None, None, False)
            found = _Document(stored_body=stored[0], scope=stored[1], known=stored[2])
            self._documents[(kind, key)] = found
        return found

    def stored_after(self) -> dict[tuple[str, str], Stored]:
        """Each document this batch touched as it is stored once the batch is written."""
        return {
            place: (document.current(), document.scope, document.known or bool(document.versions))
            for place, document in self._documents.items()
        }

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The current body of a document (a copy), or None."""
        body = self._document(kind, key).current()
        return None if body is None else dict(json.loads(body))

    def put(self, kind: str, key: str, body: Mapping[str, Any], *, scope: str = "") -> None:
        """Make ``body`` the document's body from this event on."""
        document = self._document(kind, key)
        text = body_text(body)
        if document.current() == text:
            return
        if document.scope is None:
            document.scope = scope
        size = self._position.log_size
        if document.versions and document.versions[-1][0] == size:
            document.versions[-1][1] = text
            return
        self._close(document, size)
        document.versions.append([size, text, None])

    def delete(self, kind: str, key: str) -> None:
        """The document ends at this event."""
        document = self._document(kind, key)
        if document.current() is None:
            return
        size = self._position.log_size
        if document.versions and document.versions[-1][0] == size:
            document.versions.pop()
            if not document.versions and document.stored_body is not None:
                document.closes_stored_at = size
            return
        self._close(document, size)

    def _close(self, document: _Document, size: int) -> None:
        if document.versions:
            if document.versions[-1][2] is None:
                document.versions[-1][2] = size
        elif document.stored_body is not None and document.closes_stored_at is None:
            document.closes_stored_at = size

    def link(self, edge: Edge) -> None:
        """Add a lineage edge from this event on."""
        self._edges.setdefault(edge, self._position.leaf_index)

    def append(self, entry: Entry) -> None:
        """Record an append-only entry at this event."""
        leaf, recorded_at = self._position.leaf_index, self._position.recorded_at
        sequence = self._sequence.get(leaf, 0)
        self._sequence[leaf] = sequence + 1
        body = body_text(entry.body)
        self._entries.append((leaf, sequence, entry, body, recorded_at))

    def write(self, cursor: Cursor) -> None:
        """Write the batch and its position in the caller's transaction (holding the lock).

        ConcurrentProjectionError when the stored position is no longer ``start``.
        """
        stored = self._recorder.position_in(cursor)
        if stored != self.start:
            raise ConcurrentProjectionError(
                f"the read side moved from log size {self.start} to {stored} meanwhile"
            )
        self._write_documents(cursor)
        self._write_facts(cursor)
        if self.end > self.start:
            self._recorder.record_position(cursor, self.end)

    def _write_documents(self, cursor: Cursor) -> None:
        closes, versions, keys = [], [], []
        for (kind, key), document in self._documents.items():
            if document.closes_stored_at is not None:
                closes.append((document.closes_stored_at, kind, key))
            versions += [(kind, key, v[0], v[2], v[1]) for v in document.versions]
            if not document.known and document.versions:
                keys.append((kind, key, document.scope or "", document.versions[0][0]))
        statements = (
            ("UPDATE read_documents SET valid_to = ? "
             "WHERE kind = ? AND key = ? AND valid_to IS NULL", closes),
            ("INSERT INTO read_documents (kind, key, valid_from, valid_to, body) "
             "VALUES (?, ?, ?, ?, ?)", versions),
            ("INSERT INTO read_keys (kind, key, scope, first_from) VALUES (?, ?, ?, ?)", keys),
        )  # fmt: skip
        for statement, rows in statements:
            if rows:
                cursor.executemany(self._sql(statement), rows)

    def _write_facts(self, cursor: Cursor) -> None:
        edges = [(e.source, e.relation, e.target, leaf) for e, leaf in self._edges.items()]
        entries = [
            (leaf, seq, e.kind, e.subject, e.actor, recorded_at, body)
            for leaf, seq, e, body, recorded_at in self._entries
        ]
        statements = (
            ("INSERT INTO read_edges (source, relation, target, leaf_index) "
             "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", edges),
            ("INSERT INTO read_entries "
             "(leaf_index, seq, kind, subject, actor, recorded_at, body) "
             "VALUES (?, ?, ?, ?, ?, ?, ?)", entries),
            ("INSERT INTO read_log_times (leaf_index, log_time) VALUES (?, ?)", self._times),
        )  # fmt: skip
        for statement, rows in statements:
            if rows:
                cursor.executemany(self._sql(statement), rows)
