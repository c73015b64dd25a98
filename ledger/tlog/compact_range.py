"""Complete subtrees of an RFC 6962 Merkle tree, and a compact range that grows leaf by leaf.

A complete subtree at ``(level, index)`` covers leaves ``[index * 2**level, (index + 1) *
2**level)``. Any range that starts at a multiple of a power of two at least its length (every
range an RFC 6962 proof names) is a run of complete subtrees of decreasing size, and its Merkle
tree hash is their hashes folded from the right (RFC 6962 section 2.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ledger.merkle import node_hash

__all__ = ["CompactRange", "NodeKey", "fold_right", "subtree_keys"]

NodeKey = tuple[int, int]
"""(level, index) of a complete subtree."""


def subtree_keys(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees, largest first, that make up the leaves ``[start, end)``."""
    if not 0 <= start < end:
        raise ValueError(f"[{start}, {end}) is not a non-empty range of leaves")
    keys = []
    position = start
    for level in reversed(range((end - start).bit_length())):
        width = 1 << level
        if position + width <= end:
            if position % width:
                raise ValueError(f"[{start}, {end}) is not aligned to its subtrees")
            keys.append((level, position >> level))
            position += width
    return keys


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of consecutive complete subtrees given largest first."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


class CompactRange:
    """The complete subtrees covering leaves ``[0, size)``, extended one leaf at a time."""

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        keys = subtree_keys(0, size) if size else []
        self._nodes: list[tuple[NodeKey, bytes]] = list(zip(keys, hashes, strict=True))
        self.size = size

    def append(self, leaf_hash: bytes) -> list[tuple[NodeKey, bytes]]:
        """Add the next leaf; return the subtrees above level 0 it completes, lowest first."""
        key, value = (0, self.size), leaf_hash
        completed = []
        while self._nodes and self._nodes[-1][0][0] == key[0]:
            (level, index), left = self._nodes.pop()
            key, value = (level + 1, index >> 1), node_hash(left, value)
            completed.append((key, value))
        self._nodes.append((key, value))
        self.size += 1
        return completed

    def append_subtree(self, level: int, value: bytes) -> list[tuple[NodeKey, bytes]]:
        """Add the next ``2**level`` leaves at once, by the hash of their complete subtree.

        Returns the larger subtrees this completes, lowest first.
        """
        if self.size % (1 << level):
            raise ValueError(f"a subtree of level {level} cannot start at leaf {self.size}")
        key = (level, self.size >> level)
        completed = []
        while self._nodes and self._nodes[-1][0][0] == key[0]:
            (lower, index), left = self._nodes.pop()
            key, value = (lower + 1, index >> 1), node_hash(left, value)
            completed.append((key, value))
        self._nodes.append((key, value))
        self.size += 1 << level
        return completed

    def hashes(self) -> list[bytes]:
        """The hashes of the complete subtrees covering the leaves so far, largest first."""
        return [value for _, value in self._nodes]

    def root(self) -> bytes:
        """The Merkle tree hash of the leaves so far (RFC 6962 MTH); empty: SHA-256 of b""."""
        if not self._nodes:
            return hashlib.sha256(b"").digest()
        return fold_right([value for _, value in self._nodes])
