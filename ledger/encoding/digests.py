"""SHA-256 digests as the ledger writes them: ``sha256:<64 lowercase hex>``, and key ids.

A content digest is ``sha256:`` + the hex SHA-256 of the bytes; a key id is the same over the
key's DER SubjectPublicKeyInfo, so anyone holding the published PEM can recompute it.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["DIGEST_PATTERN", "is_sha256_digest", "keyid_of_spki", "sha256_digest"]

DIGEST_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
"""The one spelling of a digest the ledger accepts (match it with ``fullmatch``)."""


def sha256_digest(content: bytes) -> str:
    """``sha256:<hex>`` of ``content``."""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def is_sha256_digest(value: object) -> bool:
    """True when ``value`` is text spelled exactly ``sha256:<64 lowercase hex>``."""
    return isinstance(value, str) and DIGEST_PATTERN.fullmatch(value) is not None


def keyid_of_spki(der: bytes) -> str:
    """The key id of a public key given as DER SubjectPublicKeyInfo bytes."""
    return sha256_digest(der)
