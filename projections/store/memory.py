"""The read side in memory: the reference semantics of ``ReadState`` and ``ReadView``.

Unit tests of the read models run on it; the SQL read store passes the same contract tests
(``tests/contracts/read_side.py``), so what a read model does here it does on both engines.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from projections.read_state import (
    Direction,
    Edge,
    Entry,
    EntryFilter,
    Position,
    StoredEdge,
    StoredEntry,
    Versioned,
)
from projections.store.bodies import body_text

__all__ = ["InMemoryReadSide"]


class InMemoryReadSide:
    """Documents, edges and entries in dicts and lists; set ``at`` before applying an event."""

    def __init__(self) -> None:
        self._position = Position(-1, "")
        self._versions: dict[tuple[str, str], list[Versioned]] = {}
        self._edges: dict[Edge, int] = {}
        self._entries: list[StoredEntry] = []
        self._times: list[str] = []  # running maximum of recorded times, per leaf

    # ReadState: what projections write.

    @property
    def position(self) -> Position:
        """The event being applied."""
        return self._position

    def at(self, position: Position) -> None:
        """Apply what follows at ``position`` (leaves must arrive in order, one each)."""
        if position.leaf_index != len(self._times):
            raise ValueError(f"leaf {position.leaf_index} arrives after {len(self._times)}")
        self._position = position
        latest = self._times[-1] if self._times else ""
        self._times.append(max(latest, position.recorded_at))

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The current body of a document (a copy), or None."""
        versions = self._versions.get((kind, key))
        if not versions or versions[-1].valid_to is not None:
            return None
        return copy.deepcopy(dict(versions[-1].body))

    def put(self, kind: str, key: str, body: Mapping[str, Any], *, scope: str = "") -> None:
        """Make ``body`` the document's body from this event on."""
        frozen = json.loads(json.dumps(body, sort_keys=True))
        size = self._position.log_size
        versions = self._versions.setdefault((kind, key), [])
        if versions:
            scope = versions[0].scope
            last = versions[-1]
            if last.valid_to is None and last.body == frozen:
                return
            if last.valid_from == size:
                versions[-1] = Versioned(kind, key, scope, frozen, size, None)
                return
            if last.valid_to is None:
                versions[-1] = Versioned(kind, key, scope, last.body, last.valid_from, size)
        versions.append(Versioned(kind, key, scope, frozen, size, None))

    def delete(self, kind: str, key: str) -> None:
        """The document ends at this event."""
        versions = self._versions.get((kind, key))
        if not versions or versions[-1].valid_to is not None:
            return
        size = self._position.log_size
        last = versions[-1]
        if last.valid_from == size:
            versions.pop()
        else:
            versions[-1] = Versioned(kind, key, last.scope, last.body, last.valid_from, size)

    def link(self, edge: Edge) -> None:
        """Add a lineage edge from this event on."""
        self._edges.setdefault(edge, self._position.leaf_index)

    def append(self, entry: Entry) -> None:
        """Record an append-only entry at this event."""
        frozen = Entry(entry.kind, entry.subject, entry.actor, json.loads(json.dumps(entry.body)))
        position = self._position
        self._entries.append(StoredEntry(frozen, position.leaf_index, position.recorded_at))

    # ReadView: what queries read.

    def session(self) -> AbstractContextManager[None]:
        """Nothing to hold in memory: every read sees one consistent state anyway."""
        return nullcontext()

    def size(self) -> int:
        """The log size applied so far."""
        return len(self._times)

    def document(self, kind: str, key: str, as_of: int) -> Versioned | None:
        """The version valid at ``as_of``, or None."""
        for version in self._versions.get((kind, key), []):
            if _valid(version, as_of):
                return version
        return None

    def documents(
        self,
        kind: str,
        as_of: int,
        *,
        scope: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Versioned]:
        """The documents of ``kind`` (of ``scope``) valid at ``as_of``, by key, paged."""
        found = sorted(
            (
                version
                for (version_kind, _), versions in self._versions.items()
                if version_kind == kind
                for version in versions
                if _valid(version, as_of) and (scope is None or version.scope == scope)
            ),
            key=lambda version: version.key,
        )
        return found[offset:] if limit is None else found[offset : offset + limit]

    def count_documents(self, kind: str, as_of: int, *, scope: str | None = None) -> int:
        """How many documents of ``kind`` (of ``scope``) are valid at ``as_of``."""
        return len(self.documents(kind, as_of, scope=scope))

    def documents_by_keys(self, kind: str, keys: Iterable[str], as_of: int) -> dict[str, Versioned]:
        """The documents of ``kind`` among ``keys`` valid at ``as_of``."""
        found = {key: self.document(kind, key, as_of) for key in set(keys)}
        return {key: version for key, version in found.items() if version is not None}

    def edges(self, nodes: Iterable[str], direction: Direction, as_of: int) -> list[StoredEdge]:
        """Edges leaving ``nodes`` in ``direction``, added before ``as_of``, by leaf."""
        wanted = set(nodes)
        found = [
            StoredEdge(edge, leaf)
            for edge, leaf in self._edges.items()
            if leaf < as_of and (edge.source if direction == "upstream" else edge.target) in wanted
        ]
        return sorted(found, key=lambda stored: (stored.leaf_index, _edge_order(stored.edge)))

    def entries(self, wanted: EntryFilter, as_of: int) -> Sequence[StoredEntry]:
        """Entries matching ``wanted`` recorded before ``as_of``, paginated."""
        found = [
            stored
            for stored in self._entries
            if stored.leaf_index < as_of
            and stored.entry.kind == wanted.kind
            and (wanted.subject is None or stored.entry.subject == wanted.subject)
            and (wanted.actor is None or stored.entry.actor == wanted.actor)
            and (wanted.since is None or stored.recorded_at >= wanted.since)
            and (wanted.until is None or stored.recorded_at <= wanted.until)
        ]
        return found[wanted.offset : wanted.offset + wanted.limit]

    def rows(self) -> list[tuple[object, ...]]:
        """Every row the SQL read side would store for this state, table name first."""
        rows: list[tuple[object, ...]] = []
        for (kind, key), versions in self._versions.items():
            if versions:
                rows.append(("read_keys", kind, key, versions[0].scope, versions[0].valid_from))
            rows += [
                ("read_documents", kind, key, v.valid_from, v.valid_to, _text(v.body))
                for v in versions
            ]
        rows += [
            ("read_edges", e.source, e.relation, e.target, leaf) for e, leaf in self._edges.items()
        ]
        sequence: dict[int, int] = {}
        for stored in self._entries:
            seq = sequence[stored.leaf_index] = sequence.get(stored.leaf_index, -1) + 1
            entry = stored.entry
            rows.append(
                ("read_entries", stored.leaf_index, seq, entry.kind, entry.subject, entry.actor,
                 stored.recorded_at, _text(entry.body))
            )  # fmt: skip
        rows += [("read_log_times", leaf, time) for leaf, time in enumerate(self._times)]
        rows.append(("position", len(self._times)))
        return rows

    def size_at(self, time: str) -> int:
        """The log size of the last event recorded at or before ``time``."""
        return sum(1 for latest in self._times if latest <= time)


def _text(body: Mapping[str, Any]) -> str:
    return body_text(body)


def _valid(version: Versioned, as_of: int) -> bool:
    return version.valid_from <= as_of and (version.valid_to is None or as_of < version.valid_to)


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    return (edge.source, edge.relation, edge.target)
