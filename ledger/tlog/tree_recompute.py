"""Recomputing the log's Merkle tree from its stored leaves, checking every stored subtree hash.

Streams the leaf rows in aligned blocks of ``block_size`` leaves (a power of two), hashes each
block level by level (RFC 6962 section 2.1) and carries the complete subtrees between blocks in
a compact range. On the way it compares every stored subtree hash (``ledger_tree_nodes``) that
should exist, those of the complete subtrees inside the checkpointed prefix, with the hash of
its leaves, and it reports stored subtrees beyond the newest checkpoint. A missing leaf index
or a leaf row that is not a 32-byte hash stops the recomputation: every root past it is unknown.
Nothing here raises on bad data; problems are collected as sentences naming the row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from ledger.merkle import HASH_SIZE, node_hash
from ledger.tlog.compact_range import CompactRange, NodeKey, fold_right, subtree_keys
from ledger.tlog.tree_store import Cursor, TreeStore

__all__ = ["DEFAULT_BLOCK_SIZE", "Recomputation", "as_hash", "recompute"]

DEFAULT_BLOCK_SIZE = 1 << 16
"""Leaves read and hashed per transaction: bounded memory, few round trips."""

# No log reaches 2**63 leaves: a stored subtree above this level is forged.
_MAX_LEVEL = 63


@dataclass
class Recomputation:
    """Roots computed from the leaves at the sizes asked for, and what was wrong on the way."""

    roots: dict[int, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    stopped_at: int | None = None
    """The first leaf that is missing or unreadable; no root past it is known."""
    stop_reason: str = ""


def as_hash(value: Any) -> bytes | None:
    """``value`` as a 32-byte hash if the database holds one there, else None."""
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == HASH_SIZE:
        return bytes(value)
    return None


def recompute(
    store: TreeStore,
    *,
    size: int,
    roots_at: Collection[int],
    nodes_up_to: int | None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    cursor: Cursor | None = None,
) -> Recomputation:
    """Recompute the tree of the first ``size`` leaves; check stored subtrees up to ``nodes_up_to``.

    ``roots_at`` names the tree sizes whose roots to return; ``nodes_up_to`` is the size of the
    newest stored checkpoint, up to which every complete subtree must be stored (None: do not
    check subtrees). With ``cursor`` everything is read in that transaction, else each block
    in a read transaction of its own (leaves never change, so blocks need no common snapshot).
    """
    if block_size < 1 or block_size & (block_size - 1):
        raise ValueError(f"block size {block_size} is not a power of two")
    result = Recomputation()
    block_level = block_size.bit_length() - 1
    tree = CompactRange()
    above: dict[NodeKey, bytes] = {}
    reading = _reading(store, cursor)
    limit = -1 if nodes_up_to is None else nodes_up_to
    for start in range(0, size, block_size):
        end = min(start + block_size, size)
        with reading() as c:
            leaves = _leaf_hashes(store.leaf_rows(c, start, end), start, end, result)
        if not leaves:
            break
        end = start + len(leaves)  # short of the block's end only before a gap
        levels = _levels(leaves)
        for target in sorted(s for s in roots_at if start < s <= end):
            inside = [levels[lv][i - (start >> lv)] for lv, i in subtree_keys(start, target)]
            result.roots[target] = fold_right(tree.hashes() + inside)
        if start < limit:
            _check_block_nodes(store, levels, start, nodes_up_to=limit, result=result)
        for level, index in subtree_keys(start, end):
            for key, value in tree.append_subtree(level, levels[level][index - (start >> level)]):
                if (key[1] + 1) << key[0] <= limit:
                    above[key] = value
        if result.stopped_at is not None:
            break
    if nodes_up_to is not None:
        _check_nodes_above_blocks(store, above, block_level, nodes_up_to, result)
        _check_nodes_beyond(store, nodes_up_to, result)
    return result


def _reading(
    store: TreeStore, cursor: Cursor | None
) -> Callable[[], AbstractContextManager[Cursor]]:
    if cursor is None:
        return store.reading
    return lambda: nullcontext(cursor)


def _leaf_hashes(
    rows: list[tuple[Any, Any]], start: int, end: int, result: Recomputation
) -> list[bytes]:
    """The block's leaf hashes up to the first gap or malformed row, which stops the run."""
    leaves: list[bytes] = []
    for index, value in rows:
        expected = start + len(leaves)
        if not isinstance(index, int) or index != expected:
            return _stop(result, leaves, expected, "missing")
        leaf = as_hash(value)
        if leaf is None:
            return _stop(result, leaves, index, "unreadable")
        leaves.append(leaf)
    if start + len(leaves) < end:
        return _stop(result, leaves, start + len(leaves), "missing")
    return leaves


def _stop(result: Recomputation, leaves: list[bytes], leaf: int, reason: str) -> list[bytes]:
    result.stopped_at, result.stop_reason = leaf, reason
    result.problems.append(
        f"leaf {leaf} is missing: the log is not dense"
        if reason == "missing"
        else f"leaf {leaf}: leaf_hash is not 32 bytes"
    )
    return leaves


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree of an aligned block, level by level."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _check_block_nodes(
    store: TreeStore,
    levels: list[list[bytes]],
    start: int,
    *,
    nodes_up_to: int,
    result: Recomputation,
) -> None:
    """Compare the stored subtrees of the block inside ``[0, nodes_up_to)`` with its hashes."""
    limit = min(start + len(levels[0]), nodes_up_to)
    with store.reading() as c:
        for level in range(1, len(levels)):
            first, last = start >> level, limit >> level
            if first >= last:
                break
            hashes = levels[level][: last - first]
            digest = store.node_digest(c, level, first, last)
            if digest is not None and digest == _digest(hashes):
                continue  # the level is intact; rows are read only to name what differs
            stored = dict(store.node_rows(c, level, first, last))
            for index, computed in enumerate(hashes, start=first):
                found = stored.get(index, _MISSING)
                _compare((level, index), found, computed, size=nodes_up_to, result=result)


def _digest(hashes: list[bytes]) -> tuple[int, bytes]:
    """What ``TreeStore.node_digest`` gives for a level holding exactly ``hashes``."""
    return len(hashes), hashlib.sha256(b"".join(hashes)).digest()


def _check_nodes_above_blocks(
    store: TreeStore,
    above: dict[NodeKey, bytes],
    block_level: int,
    nodes_up_to: int,
    result: Recomputation,
) -> None:
    """Compare the stored subtrees larger than a block with those the blocks combine into."""
    if not above:
        return
    with store.reading() as c:
        for level in range(block_level + 1, max(lv for lv, _ in above) + 1):
            stored = dict(store.node_rows(c, level, 0, nodes_up_to >> level))
            for (lv, index), computed in sorted(above.items()):
                if lv == level:
                    found = stored.get(index, _MISSING)
                    _compare((lv, index), found, computed, size=nodes_up_to, result=result)


_MISSING = object()


def _compare(
    key: NodeKey, stored: Any, computed: bytes, *, size: int, result: Recomputation
) -> None:
    level, index = key
    leaves = (
        f"(level {level}, index {index}) over leaves [{index << level}, {(index + 1) << level})"
    )
    if stored is _MISSING:
        result.problems.append(
            f"stored subtree {leaves} is missing: proofs up to checkpoint {size} cannot be served"
        )
    elif as_hash(stored) != computed:
        result.problems.append(f"stored subtree hash {leaves} differs from the hash of its leaves")


def _check_nodes_beyond(store: TreeStore, nodes_up_to: int, result: Recomputation) -> None:
    """Report stored subtrees no checkpoint covers: a deleted checkpoint row, or forged rows."""
    with store.reading() as c:
        top = store.max_node_level(c)
        extra = store.nodes_beyond(c, nodes_up_to)
    if top > _MAX_LEVEL:
        result.problems.append(f"a stored subtree has level {top}: no log is that large")
    if not extra:
        return
    # A checkpoint committed since ``nodes_up_to`` was read stores its subtrees in the same
    # transaction as its row, so the row is visible now if those subtrees were.
    with store.reading() as c:
        newest = max((s for s, *_ in store.checkpoint_rows(c) if isinstance(s, int)), default=0)
    for level, index in extra:
        if not isinstance(index, int):
            result.problems.append(
                f"stored subtree row (level {level}, index {index!r}) is malformed"
            )
            continue
        if (index + 1) << level <= newest:
            continue
        result.problems.append(
            f"stored subtree (level {level}, index {index}) over leaves [{index << level}, "
            f"{(index + 1) << level}) lies beyond the latest stored checkpoint ({newest} leaves): "
            "a checkpoint row was deleted or the row was forged"
        )
