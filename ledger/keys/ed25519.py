"""Ed25519 signers and keyrings.

A key's id is ``sha256:`` followed by the hex SHA-256 of its DER SubjectPublicKeyInfo, so anyone
holding the published PEM can recompute it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from ledger.encoding.digests import keyid_of_spki
from ledger.errors import KeyStoreError, VerificationError

__all__ = [
    "SIGNATURE_BYTES",
    "Keyring",
    "Signer",
    "keyid_of",
    "public_key_from_pem",
    "public_key_pem",
]

SIGNATURE_BYTES = 64


def keyid_of(public_key: Ed25519PublicKey) -> str:
    """Return the key id: ``sha256:<hex of SHA-256 over the DER SubjectPublicKeyInfo>``."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return keyid_of_spki(der)


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """Return the public key as a SubjectPublicKeyInfo PEM block."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; raise KeyStoreError for anything else."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise KeyStoreError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise KeyStoreError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


class Signer:
    """An Ed25519 private key with its key id. Its repr never shows key material."""

    __slots__ = ("_private_key", "_sodium_secret_key", "keyid", "public_key")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.keyid = keyid_of(self.public_key)
        seed = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._sodium_secret_key = crypto_sign_seed_keypair(seed)[1]

    @classmethod
    def generate(cls) -> Signer:
        """Create a signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``.

        libsodium signs: on the event append path it is about a quarter faster than OpenSSL.
        Ed25519 signatures are deterministic (RFC 8032), so the bytes are the ones
        ``cryptography`` would produce with the same key.
        """
        return crypto_sign(message, self._sodium_secret_key)[:SIGNATURE_BYTES]

    def private_pem(self, passphrase: bytes | None) -> bytes:
        """Return the private key as PKCS#8 PEM, encrypted when a passphrase is given."""
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )

    def __repr__(self) -> str:
        return f"Signer(keyid={self.keyid!r})"


class Keyring:
    """The set of trusted Ed25519 public keys, looked up by key id."""

    def __init__(self, keys: Iterable[Ed25519PublicKey] = ()) -> None:
        self._keys = {keyid_of(key): key for key in keys}

    @property
    def keys(self) -> Mapping[str, Ed25519PublicKey]:
        """The trusted keys by key id (read-only)."""
        return MappingProxyType(self._keys)

    def verify(self, keyid: str, signature: bytes, message: bytes) -> None:
        """Raise VerificationError unless ``keyid`` is trusted and signed ``message``."""
        key = self._keys.get(keyid)
        if key is None:
            raise VerificationError(f"signed with unregistered key {keyid}")
        try:
            key.verify(signature, message)
        except InvalidSignature:
            raise VerificationError(f"signature by {keyid} does not verify") from None

    def __len__(self) -> int:
        return len(self._keys)
