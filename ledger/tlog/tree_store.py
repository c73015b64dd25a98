"""The stored Merkle tree: leaf hashes, complete-subtree hashes and signed checkpoints.

Engine-neutral SQL over a DB-API cursor that returns plain tuples (row objects that track
references cost the full verification most of its time in garbage collection); only the
placeholder differs. Subtree hashes above the leaves are stored when a checkpoint is cut, up to
its size, so proofs against any checkpointed size take O(log n) lookups and never touch every
leaf. The ``*_rows`` readers return columns exactly as the database holds them, unconverted, for
the verifier, which must report a malformed row rather than fail on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ledger.errors import InconsistentLogError, StoreError
from ledger.merkle import consistency_ranges, inclusion_ranges
from ledger.store.tables import CHECKPOINTS_TABLE, EVENTS_TABLE, LEAVES_TABLE, NODES_TABLE
from ledger.tlog.compact_range import CompactRange, NodeKey, fold_right, subtree_keys

__all__ = ["Cursor", "StoredCheckpoint", "TreeStore"]

# No log reaches 2**63 leaves: a stored subtree above this level is forged.
_MAX_LEVEL = 63


class Cursor(Protocol):
    """The part of a DB-API cursor the tree store uses."""

    def execute(self, statement: Any, params: Any = ..., /) -> Any: ...

    def fetchall(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def executemany(self, statement: Any, params: Any, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint as stored: tree size, root hash and the signed note."""

    size: int
    root: bytes
    note: str


class TreeStore:
    """Reads proofs from, and extends, the stored tree of one database."""

    def __init__(
        self,
        *,
        reading: Callable[[], AbstractContextManager[Cursor]],
        writing: Callable[[], AbstractContextManager[Cursor]],
        placeholder: str,
    ) -> None:
        self.reading = reading
        """A read-only transaction."""
        self.writing = writing
        """A write transaction that excludes other checkpoint writers."""
        self._p = placeholder

    def log_size(self, c: Cursor) -> int:
        """The number of leaves in the log."""
        c.execute(f"SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {LEAVES_TABLE}")
        return int(c.fetchone()[0])

    def leaf_hashes(self, c: Cursor, start: int, end: int) -> list[bytes]:
        """Leaf hashes of ``[start, end)`` in index order."""
        p = self._p
        c.execute(
            f"SELECT leaf_hash FROM {LEAVES_TABLE} WHERE leaf_index >= {p} AND leaf_index < {p} "
            "ORDER BY leaf_index",
            (start, end),
        )
        return [_hash(leaf_hash, "a leaf hash") for (leaf_hash,) in c.fetchall()]

    def leaf_rows(self, c: Cursor, start: int, end: int) -> list[tuple[Any, Any]]:
        """``(leaf_index, leaf_hash)`` rows of ``[start, end)`` in index order, unconverted."""
        p = self._p
        c.execute(
            f"SELECT leaf_index, leaf_hash FROM {LEAVES_TABLE} "
            f"WHERE leaf_index >= {p} AND leaf_index < {p} ORDER BY leaf_index",
            (start, end),
        )
        return [tuple(row) for row in c.fetchall()]

    def envelope_rows(self, c: Cursor, start: int, end: int) -> list[tuple[Any, Any, Any]]:
        """``(leaf_index, leaf_hash, envelope)`` of ``[start, end)``; envelope None if absent.

        The event is found by exactly the identity the leaf names, as the application reads it.
        """
        p = self._p
        c.execute(
            f"SELECT l.leaf_index, l.leaf_hash, e.state FROM {LEAVES_TABLE} l "
            f"LEFT JOIN {EVENTS_TABLE} e ON e.originator_id = l.originator_id "
            "AND e.originator_version = l.originator_version "
            f"WHERE l.leaf_index >= {p} AND l.leaf_index < {p} ORDER BY l.leaf_index",
            (start, end),
        )
        return [tuple(row) for row in c.fetchall()]

    def node_rows(
        self, c: Cursor, level: int, start: int, end: int | None
    ) -> list[tuple[Any, Any]]:
        """``(node_index, hash)`` rows of one level with ``start <= node_index < end``."""
        p = self._p
        bound, params = (
            ("", (level, start)) if end is None else (f" AND node_index < {p}", (level, start, end))
        )
        c.execute(
            f"SELECT node_index, hash FROM {NODES_TABLE} WHERE level = {p} AND node_index >= {p}"
            f"{bound} ORDER BY node_index",
            params,
        )
        return [tuple(row) for row in c.fetchall()]

    def node_digest(self, c: Cursor, level: int, start: int, end: int) -> tuple[int, bytes] | None:
        """The count and SHA-256 of one level's hashes in ``[start, end)``, concatenated in order.

        Computed by PostgreSQL (placeholder ``%s``), so verifying an intact level moves one row,
        not one per subtree; None on SQLite, where reading the rows in process is as cheap.
        """
        if self._p != "%s":
            return None
        c.execute(
            "SELECT count(*), sha256(COALESCE(string_agg(hash, ''::bytea ORDER BY node_index), "
            f"''::bytea)) FROM {NODES_TABLE} "
            "WHERE level = %s AND node_index >= %s AND node_index < %s",
            (level, start, end),
        )
        count, digest = c.fetchone()
        return int(count), bytes(digest)

    def max_node_level(self, c: Cursor) -> int:
        """The highest level of any stored subtree, 0 when none is stored."""
        c.execute(f"SELECT COALESCE(MAX(level), 0) FROM {NODES_TABLE}")
        return int(c.fetchone()[0])

    def nodes_beyond(self, c: Cursor, size: int) -> list[tuple[int, Any]]:
        """``(level, node_index)`` of stored subtrees reaching past leaf ``size``, lowest first.

        Subtrees are stored only up to a checkpoint, so past the latest there are none unless a
        checkpoint row was deleted or rows forged. One indexed query per stored level.
        """
        top = min(self.max_node_level(c), _MAX_LEVEL)
        return [
            (level, index)
            for level in range(1, top + 1)
            for index, _ in self.node_rows(c, level, size >> level, None)
        ]

    def checkpoint_rows(self, c: Cursor) -> list[tuple[Any, Any, Any, Any]]:
        """``(tree_size, root_hash, note, signed_at)`` of every checkpoint row, unconverted."""
        c.execute(
            f"SELECT tree_size, root_hash, note, signed_at FROM {CHECKPOINTS_TABLE} "
            "ORDER BY tree_size"
        )
        return [tuple(row) for row in c.fetchall()]

    def checkpoints(self, c: Cursor) -> list[StoredCheckpoint]:
        """Every stored checkpoint, smallest tree first."""
        c.execute(f"SELECT tree_size, root_hash, note FROM {CHECKPOINTS_TABLE} ORDER BY tree_size")
        return [_checkpoint(row) for row in c.fetchall()]

    def latest_checkpoint(self, c: Cursor) -> StoredCheckpoint | None:
        """The checkpoint of the largest tree, or None before the first."""
        c.execute(
            f"SELECT tree_size, root_hash, note FROM {CHECKPOINTS_TABLE} "
            "ORDER BY tree_size DESC LIMIT 1"
        )
        row = c.fetchone()
        return None if row is None else _checkpoint(row)

    def insert_checkpoint(self, c: Cursor, checkpoint: StoredCheckpoint, signed_at: str) -> None:
        """Store a signed checkpoint."""
        p = self._p
        c.execute(
            f"INSERT INTO {CHECKPOINTS_TABLE} (tree_size, root_hash, note, signed_at) "
            f"VALUES ({p}, {p}, {p}, {p})",
            (checkpoint.size, checkpoint.root, checkpoint.note, signed_at),
        )

    def extend(self, c: Cursor, indexed_size: int, new_size: int) -> bytes:
        """Store the subtrees completed by leaves ``[indexed_size, new_size)``; return the root."""
        prefix = subtree_keys(0, indexed_size) if indexed_size else []
        known = self.node_hashes(c, prefix)
        tree = CompactRange(indexed_size, [known[key] for key in prefix])
        completed: list[tuple[NodeKey, bytes]] = []
        for leaf in self.leaf_hashes(c, indexed_size, new_size):
            completed.extend(tree.append(leaf))
        if tree.size != new_size:
            raise StoreError(f"the log has no leaf {tree.size}: leaves are missing")
        p = self._p
        for statement_rows in _chunks(completed, 500):
            c.executemany(
                f"INSERT INTO {NODES_TABLE} (level, node_index, hash) VALUES ({p}, {p}, {p})",
                [(level, index, value) for (level, index), value in statement_rows],
            )
        return tree.root()

    def inclusion_proof(self, c: Cursor, index: int, size: int) -> list[bytes]:
        """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
        return self.range_hashes(c, inclusion_ranges(index, size))

    def consistency_proof(self, c: Cursor, old_size: int, new_size: int) -> list[bytes]:
        """The RFC 9162 consistency proof from ``old_size`` to ``new_size`` leaves."""
        return self.range_hashes(c, consistency_ranges(old_size, new_size))

    def root(self, c: Cursor, size: int) -> bytes:
        """The root of the tree of ``size`` leaves, from stored subtrees."""
        return self.range_hashes(c, [(0, size)])[0]

    def root_at(self, c: Cursor, size: int) -> bytes:
        """The root of the tree of ``size`` leaves, checkpointed or not.

        Stored subtrees cover the tree up to the latest checkpoint; leaves after it are
        hashed in (at most the leaves appended since, which checkpoints keep few).
        """
        latest = self.latest_checkpoint(c)
        indexed = latest.size if latest else 0
        if size <= indexed:
            return self.root(c, size) if size else CompactRange().root()
        prefix = subtree_keys(0, indexed) if indexed else []
        known = self.node_hashes(c, prefix)
        tree = CompactRange(indexed, [known[key] for key in prefix])
        for leaf in self.leaf_hashes(c, indexed, size):
            tree.append(leaf)
        if tree.size != size:
            raise StoreError(f"the log has no leaf {tree.size}: it has fewer than {size}")
        return tree.root()

    def range_hashes(self, c: Cursor, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """The Merkle tree hash of each aligned leaf range, from stored subtrees."""
        keys = [subtree_keys(start, end) for start, end in ranges]
        known = self.node_hashes(c, [key for run in keys for key in run])
        try:
            return [fold_right([known[key] for key in run]) for run in keys]
        except KeyError as missing:
            raise StoreError(
                f"subtree {missing} is not stored: proofs reach only checkpointed sizes"
            ) from None

    def node_hashes(self, c: Cursor, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """Stored hashes of complete subtrees; level 0 are the leaves."""
        wanted = set(keys)
        found: dict[NodeKey, bytes] = {}
        leaves = sorted(index for level, index in wanted if level == 0)
        if leaves:
            marks = ", ".join([self._p] * len(leaves))
            c.execute(
                f"SELECT leaf_index, leaf_hash FROM {LEAVES_TABLE} WHERE leaf_index IN ({marks})",
                leaves,
            )
            found.update(
                ((0, index), _hash(leaf_hash, f"leaf {index}")) for index, leaf_hash in c.fetchall()
            )
        nodes = sorted(key for key in wanted if key[0] > 0)
        if nodes:
            p = self._p
            where = " OR ".join([f"(level = {p} AND node_index = {p})"] * len(nodes))
            c.execute(
                f"SELECT level, node_index, hash FROM {NODES_TABLE} WHERE {where}",
                [part for key in nodes for part in key],
            )
            found.update(
                ((level, index), _hash(value, f"stored subtree ({level}, {index})"))
                for level, index, value in c.fetchall()
            )
        return found


def _hash(value: Any, what: str) -> bytes:
    """A stored 32-byte hash; anything else in its column is tampering, not a crash."""
    if not isinstance(value, bytes | bytearray | memoryview) or len(value) != 32:
        raise InconsistentLogError(f"{what} is not a 32-byte hash")
    return bytes(value)


def _checkpoint(row: Any) -> StoredCheckpoint:
    """A checkpoint row as stored; one of the wrong types is tampering, not a crash."""
    size, root, note = row[0], row[1], row[2]
    if not isinstance(root, bytes | bytearray | memoryview) or len(root) != 32:
        raise InconsistentLogError(f"checkpoint row {size!r}: root_hash is not 32 bytes")
    if not isinstance(size, int) or not isinstance(note, str):
        raise InconsistentLogError(f"checkpoint row {size!r}: tree_size or note is malformed")
    return StoredCheckpoint(size=size, root=bytes(root), note=note)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
