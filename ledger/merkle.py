"""RFC 6962 section 2.1 Merkle tree hashing (the leaf and node hashes of the transparency log)."""

from __future__ import annotations

import hashlib

__all__ = ["leaf_hash", "node_hash"]


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the RFC 6962 hash of a leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the RFC 6962 hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()
