"""Merkle tree math of the transparency log: RFC 6962 hashing, RFC 9162 proofs.

Hashes are those of RFC 6962 section 2.1 (restated in RFC 9162 section 2.1.1): a leaf is
SHA-256(0x00 || data), an interior node SHA-256(0x01 || left || right), and the empty tree
SHA-256(""). Proofs are RFC 6962 section 2.1.1 PATH and section 2.1.2 SUBPROOF (RFC 9162
sections 2.1.3.1 and 2.1.4.1), hashes ordered bottom-up; ``inclusion_ranges`` and
``consistency_ranges`` name the leaf ranges whose tree hashes they are, for provers that hold
the hashes elsewhere.

Verification runs the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, as strictly as
transparency-dev/merkle: every hash is 32 bytes, an index is below its tree size, a proof has
exactly the hashes its sizes imply, a consistency proof starts from at least one leaf, and equal
sizes need equal roots and an empty proof. Verifiers raise ``VerificationError``; generators
raise ``ValueError`` on arguments that name no proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.errors import VerificationError

__all__ = [
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 hash: every hash a verifier is given must have exactly this many."""


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the RFC 6962 section 2.1 hash of a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the RFC 6962 section 2.1 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH of the leaves (RFC 6962 section 2.1); the empty tree's is SHA-256("")."""
    if not leaf_hashes:
        return hashlib.sha256(b"").digest()
    # Pairing neighbours level by level, an odd last node moving up unchanged, builds the same
    # tree as RFC 6962's split at the largest power of two below the size.
    level = list(leaf_hashes)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + level[len(paired) * 2 :]
    return level[0]


def _split(size: int) -> int:
    """The largest power of two smaller than size (size >= 2), RFC 6962's k."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges [start, end) whose MTH are PATH(index, D[size]) (RFC 9162 2.1.3.1), in order."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of {size} leaves")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    return ranges[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTH are PROOF(old_size, D[new_size]) (RFC 9162 2.1.4.1), in order."""
    if not 1 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is outside 1..{new_size} (the new size)")
    ranges = []
    start, end, old_tree_is_whole_subtree = 0, new_size, True
    while end != old_size:
        middle = start + _split(end - start)
        if old_size <= middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start, old_tree_is_whole_subtree = middle, False
    if not old_tree_is_whole_subtree:
        ranges.append((start, end))
    return ranges[::-1]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Return PATH(index, D[n]) of the tree of leaf_hashes (RFC 9162 section 2.1.3.1)."""
    ranges = inclusion_ranges(index, len(leaf_hashes))
    return [root_hash(leaf_hashes[start:end]) for start, end in ranges]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Return PROOF(old_size, D[n]) of the tree of leaf_hashes (RFC 9162 section 2.1.4.1)."""
    ranges = consistency_ranges(old_size, len(leaf_hashes))
    return [root_hash(leaf_hashes[start:end]) for start, end in ranges]


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise VerificationError(f"{name} is {len(value)} bytes, expected {HASH_SIZE}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)


def _hashes(count: int) -> str:
    return f"{count} hash" if count == 1 else f"{count} hashes"


def _check_root(name: str, calculated: bytes, expected: bytes) -> None:
    if calculated != expected:
        raise VerificationError(
            f"the proof leads to {name} {calculated.hex()}, not the given {expected.hex()}"
        )


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise VerificationError unless proof has leaf_hash at index under root (RFC 9162 2.1.3.2)."""
    if not 0 <= index < tree_size:
        raise VerificationError(f"index {index} is outside a tree of {tree_size} leaves")
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    _check_proof_hashes(proof)

    def wrong_length() -> VerificationError:
        expected = len(inclusion_ranges(index, tree_size))
        return VerificationError(
            f"proof has {_hashes(len(proof))}, expected {expected} "
            f"for index {index} in a tree of {tree_size}"
        )

    fn, sn, r = index, tree_size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise wrong_length()
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise wrong_length()
    _check_root("root", r, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise VerificationError unless the old tree is a prefix of the new one (RFC 9162 2.1.4.2)."""
    if old_size < 1:
        raise VerificationError(f"old size {old_size} is refused: a proof needs an old leaf")
    if old_size > new_size:
        raise VerificationError(f"old size {old_size} is larger than new size {new_size}")
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    _check_proof_hashes(proof)
    if old_size == new_size:
        if proof:
            raise VerificationError(
                f"sizes are equal ({old_size}) but the proof has {_hashes(len(proof))}, expected 0"
            )
        if old_root != new_root:
            raise VerificationError(f"sizes are equal ({old_size}) but the roots differ")
        return
    old_calculated, new_calculated = _consistency_roots(old_size, new_size, old_root, proof)
    _check_root("old root", old_calculated, old_root)
    _check_root("new root", new_calculated, new_root)


def _consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Steps 1-6 of RFC 9162 section 2.1.4.2 for 0 < old_size < new_size: (fr, sr)."""

    def wrong_length() -> VerificationError:
        expected = len(consistency_ranges(old_size, new_size))
        return VerificationError(
            f"proof has {_hashes(len(proof))}, expected {expected} "
            f"from size {old_size} to size {new_size}"
        )

    if not proof:
        raise wrong_length()
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise wrong_length()
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise wrong_length()
    return fr, sr
