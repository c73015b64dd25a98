"""What a projection reads and writes, and what a query reads: the read side's two protocols.

A projection applies one verified event at a time to a ``ReadState``. It keeps three kinds of
rows, each citing the leaves of the events it comes from:

- documents (``kind``, ``key``) -> JSON body, versioned by log size: a ``put`` at leaf ``i``
  makes the new body valid from log size ``i + 1`` and closes the previous version there;
- lineage edges (``source`` -relation-> ``target``), valid from the size that added them;
- entries: append-only facts (a timeline line, a searchable prediction, explanation or refusal).

A query reads a ``ReadView`` at a log size ``as_of``: it sees exactly the rows valid at that
size, so an answer about the past never needs the log replayed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "Direction",
    "Edge",
    "Entry",
    "EntryFilter",
    "Position",
    "ReadState",
    "ReadView",
    "StoredEdge",
    "StoredEntry",
    "Versioned",
]

Direction = Literal["upstream", "downstream"]
"""Upstream follows edges from source to target (what a node came from); downstream, back."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where the event being applied sits in the log, and when it was recorded (RFC 3339, UTC)."""

    leaf_index: int
    recorded_at: str

    @property
    def log_size(self) -> int:
        """The log size at which this event's effects become visible."""
        return self.leaf_index + 1


@dataclass(frozen=True, slots=True)
class Edge:
    """A typed lineage edge: ``source`` -relation-> ``target`` (node keys, see ``lineage``)."""

    source: str
    relation: str
    target: str


@dataclass(frozen=True, slots=True)
class Entry:
    """An append-only fact: ``kind`` (timeline, prediction_segment, explanation, refusal, ...),
    the ``subject`` it is filed under (a model name), who did it and what it says."""

    kind: str
    subject: str
    actor: str
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Versioned:
    """One version of a document: its body, valid for log sizes in [valid_from, valid_to)."""

    kind: str
    key: str
    scope: str
    body: Mapping[str, Any]
    valid_from: int
    valid_to: int | None


@dataclass(frozen=True, slots=True)
class StoredEdge:
    """A lineage edge and the leaf of the event that added it."""

    edge: Edge
    leaf_index: int


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry, the leaf of its event and that event's time."""

    entry: Entry
    leaf_index: int
    recorded_at: str


@dataclass(frozen=True, slots=True)
class EntryFilter:
    """Which entries a search wants; ``None`` means any. Times are RFC 3339 UTC, inclusive."""

    kind: str
    subject: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 100
    offset: int = 0


class ReadState(Protocol):
    """The read side as one projection sees it while applying the event at ``position``.

    Reads see every change made so far, including earlier events of the same batch.
    """

    @property
    def position(self) -> Position:
        """The event being applied."""

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        """The current body of a document (a copy), or None."""

    def put(self, kind: str, key: str, body: Mapping[str, Any], *, scope: str = "") -> None:
        """Make ``body`` the document's body from this event on. ``scope`` (a model name,
        say) lets queries list one scope's documents; it is fixed by the first put."""

    def delete(self, kind: str, key: str) -> None:
        """The document ends at this event (no-op when it does not exist)."""

    def link(self, edge: Edge) -> None:
        """Add a lineage edge from this event on (no-op when it exists already)."""

    def append(self, entry: Entry) -> None:
        """Record an append-only entry at this event."""


class ReadView(Protocol):
    """The read side as queries see it: every row as of a log size."""

    def session(self) -> AbstractContextManager[None]:
        """Run the queries inside as one read transaction (an answer asks for one)."""

    def size(self) -> int:
        """The log size the read side has processed."""

    def document(self, kind: str, key: str, as_of: int) -> Versioned | None:
        """The version of a document valid at log size ``as_of``, or None."""

    def documents(
        self,
        kind: str,
        as_of: int,
        *,
        scope: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Versioned]:
        """The documents of ``kind`` (of ``scope`` when given) valid at ``as_of``, by key: all
        of them, or the page of at most ``limit`` after the first ``offset``."""

    def count_documents(self, kind: str, as_of: int, *, scope: str | None = None) -> int:
        """How many documents of ``kind`` (of ``scope``) are valid at ``as_of``."""

    def documents_by_keys(self, kind: str, keys: Iterable[str], as_of: int) -> dict[str, Versioned]:
        """The documents of ``kind`` among ``keys`` valid at ``as_of`` (absent ones left out)."""

    def edges(self, nodes: Iterable[str], direction: Direction, as_of: int) -> list[StoredEdge]:
        """Edges leaving ``nodes`` upstream (as sources) or downstream (as targets), added
        before ``as_of``, ordered by leaf."""

    def entries(self, wanted: EntryFilter, as_of: int) -> Sequence[StoredEntry]:
        """Entries matching ``wanted`` recorded before ``as_of``, ordered by leaf then order
        of recording, paginated by ``wanted.limit`` and ``wanted.offset``."""

    def size_at(self, time: str) -> int:
        """The log size of the last event recorded at or before ``time`` (RFC 3339 UTC,
        normalised as ``recorded_at`` is), by the running maximum of recorded times, so a
        time always resolves to a prefix of the log."""
