"""The read side in SQL, as queries see it (``ReadView``), on SQLite and PostgreSQL alike.

Every query names the log size it answers at: a document version is visible when
``valid_from <= as_of < valid_to``; an edge or entry when its leaf is below ``as_of``. Rows
visible at a size below the processed position never change afterwards (later events only
add rows or close versions beyond it), so an answer of several queries is consistent without
a snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from projections.read_state import (
    Direction,
    Edge,
    Entry,
    EntryFilter,
    StoredEdge,
    StoredEntry,
    Versioned,
)
from projections.store.tracking import Cursor, ReadSideRecorder

__all__ = ["SqlReadView"]

_IN_LIST_CHUNK = 500
_NO_LIMIT = 2**62
"""A LIMIT both engines read as none (PostgreSQL refuses -1, SQLite NULL)."""

_DOCUMENT = (
    "SELECT d.kind, d.key, k.scope, d.valid_from, d.valid_to, d.body FROM read_documents d "
    "JOIN read_keys k ON k.kind = d.kind AND k.key = d.key "
    "WHERE d.kind = ? AND d.key = ? AND d.valid_from <= ? ORDER BY d.valid_from DESC LIMIT 1"
)
# Driven from read_keys (one row per document), each key's version at the size found by one
# index seek, then fetched by primary key: the cost grows with the documents listed, never
# with how many versions each has (a plan that scans versions first would).
_VERSIONS_AT = (
    "SELECT d.kind, d.key, t.scope, d.valid_from, d.valid_to, d.body FROM "
    "(SELECT k.kind, k.key, k.scope, (SELECT MAX(x.valid_from) FROM read_documents x "
    "WHERE x.kind = k.kind AND x.key = k.key AND x.valid_from <= ?) AS at_size "
    "FROM read_keys k WHERE k.kind = ? {keys} AND k.first_from <= ?) t "
    "JOIN read_documents d ON d.kind = t.kind AND d.key = t.key AND d.valid_from = t.at_size "
    "WHERE d.valid_to IS NULL OR d.valid_to > ? ORDER BY t.key"
)
_EDGES = (
    "SELECT source, relation, target, leaf_index FROM read_edges "
    "WHERE {column} IN ({marks}) AND leaf_index < ?"
)
_SIZE_AT = (
    "SELECT leaf_index FROM read_log_times WHERE log_time <= ? "
    "ORDER BY log_time DESC, leaf_index DESC LIMIT 1"
)


class SqlReadView:
    """``ReadView`` over the read side's tables."""

    def __init__(self, recorder: ReadSideRecorder) -> None:
        self._recorder = recorder
        self._mark = recorder.placeholder
        self._held: Cursor | None = None

    @contextmanager
    def session(self) -> Iterator[None]:
        """Run the queries inside on one read transaction (one connection, no round trips to
        begin and end each); an answer of many queries asks for one."""
        if self._held is not None:
            yield
            return
        with self._recorder.reading() as cursor:
            self._held = cursor
            try:
                yield
            finally:
                self._held = None

    @contextmanager
    def _cursor(self) -> Iterator[Cursor]:
        if self._held is not None:
            yield self._held
        else:
            with self._recorder.reading() as cursor:
                yield cursor

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._mark)

    def _rows(self, statement: str, params: Sequence[Any]) -> list[Any]:
        with self._cursor() as cursor:
            cursor.execute(self._sql(statement), tuple(params))
            return list(cursor.fetchall())

    def size(self) -> int:
        """The log size the read side has processed."""
        with self._cursor() as cursor:
            return self._recorder.position_in(cursor)

    def document(self, kind: str, key: str, as_of: int) -> Versioned | None:
        """The version of a document valid at ``as_of``, or None."""
        rows = self._rows(_DOCUMENT, (kind, key, as_of))
        if not rows:
            return None
        version = _versioned(rows[0])
        return version if version.valid_to is None or as_of < version.valid_to else None

    def documents(
        self,
        kind: str,
        as_of: int,
        *,
        scope: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Versioned]:
        """The documents of ``kind`` (of ``scope``) valid at ``as_of``, by key, paged: the keys'
        index gives the order, so a page reads only its own documents."""
        statement, params = self._listing(kind, as_of, scope)
        if limit is not None or offset:
            statement += " LIMIT ? OFFSET ?"
            params = (*params, _NO_LIMIT if limit is None else limit, offset)
        return [_versioned(row) for row in self._rows(statement, params)]

    def count_documents(self, kind: str, as_of: int, *, scope: str | None = None) -> int:
        """How many documents of ``kind`` (of ``scope``) are valid at ``as_of``."""
        statement, params = self._listing(kind, as_of, scope)
        counted = f"SELECT COUNT(*) AS n FROM ({statement.removesuffix(' ORDER BY t.key')}) c"  # noqa: S608
        return int(self._rows(counted, params)[0]["n"])

    @staticmethod
    def _listing(kind: str, as_of: int, scope: str | None) -> tuple[str, tuple[object, ...]]:
        if scope is None:
            return _VERSIONS_AT.format(keys=""), (as_of, kind, as_of, as_of)
        return _VERSIONS_AT.format(keys="AND k.scope = ?"), (as_of, kind, scope, as_of, as_of)

    def documents_by_keys(self, kind: str, keys: Iterable[str], as_of: int) -> dict[str, Versioned]:
        """The documents of ``kind`` among ``keys`` valid at ``as_of``, in one query per 500."""
        wanted = sorted(set(keys))
        found: dict[str, Versioned] = {}
        for start in range(0, len(wanted), _IN_LIST_CHUNK):
            chunk = wanted[start : start + _IN_LIST_CHUNK]
            statement = _VERSIONS_AT.format(keys=f"AND k.key IN ({', '.join('?' * len(chunk))})")
            for row in self._rows(statement, (as_of, kind, *chunk, as_of, as_of)):
                version = _versioned(row)
                found[version.key] = version
        return found

    def edges(self, nodes: Iterable[str], direction: Direction, as_of: int) -> list[StoredEdge]:
        """Edges leaving ``nodes`` in ``direction``, added before ``as_of``, by leaf."""
        column = "source" if direction == "upstream" else "target"
        wanted = sorted(set(nodes))
        found: list[StoredEdge] = []
        for start in range(0, len(wanted), _IN_LIST_CHUNK):
            chunk = wanted[start : start + _IN_LIST_CHUNK]
            statement = _EDGES.format(column=column, marks=", ".join("?" * len(chunk)))
            for row in self._rows(statement, (*chunk, as_of)):
                edge = Edge(row["source"], row["relation"], row["target"])
                found.append(StoredEdge(edge, int(row["leaf_index"])))
        found.sort(key=lambda s: (s.leaf_index, s.edge.source, s.edge.relation, s.edge.target))
        return found

    def entries(self, wanted: EntryFilter, as_of: int) -> Sequence[StoredEntry]:
        """Entries matching ``wanted`` recorded before ``as_of``, paginated."""
        conditions, params = ["kind = ?", "leaf_index < ?"], [wanted.kind, as_of]
        for column, value in (("subject", wanted.subject), ("actor", wanted.actor)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if wanted.since is not None:
            conditions.append("recorded_at >= ?")
            params.append(wanted.since)
        if wanted.until is not None:
            conditions.append("recorded_at <= ?")
            params.append(wanted.until)
        # The conditions are this function's own constants; every value is a parameter.
        statement = (
            "SELECT kind, subject, actor, recorded_at, leaf_index, body FROM read_entries "  # noqa: S608
            f"WHERE {' AND '.join(conditions)} ORDER BY leaf_index, seq LIMIT ? OFFSET ?"
        )
        rows = self._rows(statement, (*params, wanted.limit, wanted.offset))
        return [
            StoredEntry(
                Entry(row["kind"], row["subject"], row["actor"], json.loads(row["body"])),
                int(row["leaf_index"]),
                row["recorded_at"],
            )
            for row in rows
        ]

    def size_at(self, time: str) -> int:
        """The log size of the last event recorded at or before ``time``."""
        rows = self._rows(_SIZE_AT, (time,))
        return int(rows[0]["leaf_index"]) + 1 if rows else 0


def _versioned(row: Any) -> Versioned:
    valid_to = row["valid_to"]
    return Versioned(
        row["kind"],
        row["key"],
        row["scope"],
        json.loads(row["body"]),
        int(row["valid_from"]),
        None if valid_to is None else int(valid_to),
    )
