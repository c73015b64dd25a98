"""Ed25519 (RFC 8032) signature checks for the domain's ``SignatureVerifier`` port.

A key's id is ``sha256:`` followed by the hex SHA-256 of its DER SubjectPublicKeyInfo
(RFC 8410), the same id the ledger gives its own keys, so anyone holding the PEM can recompute it.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.encoding.digests import keyid_of_spki

__all__ = ["Ed25519SignatureVerifier", "PublicKeyError", "keyid_of", "load_public_key"]


class PublicKeyError(ValueError):
    """A PEM text is not an Ed25519 public key."""


def keyid_of(public_key: Ed25519PublicKey) -> str:
    """``sha256:<hex of SHA-256 over the DER SubjectPublicKeyInfo>``."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return keyid_of_spki(der)


def load_public_key(public_key_pem: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a SubjectPublicKeyInfo PEM text; else PublicKeyError."""
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("utf-8"))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise PublicKeyError(
            "not a PEM public key: give the text of a '-----BEGIN PUBLIC KEY-----' block"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise PublicKeyError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


class Ed25519SignatureVerifier:
    """Checks a person's Ed25519 signature with their registered public key (PEM)."""

    def verify(self, public_key_pem: str, signature: bytes, message: bytes) -> bool:
        """True only if ``signature`` is the key's signature of ``message``; never raises."""
        try:
            load_public_key(public_key_pem).verify(signature, message)
        except (PublicKeyError, InvalidSignature):
            return False
        return True

    def keyid(self, public_key_pem: str) -> str:
        """The key id of a PEM public key; PublicKeyError if it is not Ed25519."""
        return keyid_of(load_public_key(public_key_pem))
