"""A responsible person's own Ed25519 key, kept in a PKCS#8 PEM file (RFC 5958, RFC 8410).

The person signs a statement's RFC 8785 bytes (``domain.rules.statements``); the ledger checks the
signature with the public key registered for that person. The private key stays in the file,
encrypted when a passphrase is given; nothing here prints, logs or shows it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.ed25519_signatures import keyid_of
from domain.rules.statements import Statement

__all__ = ["PersonalKey", "PersonalKeyError", "generate_personal_key", "load_personal_key"]

PRIVATE_KEY_MODE = 0o600
"""Only the owner may read or write a private key file."""

MAX_KEY_FILE_BYTES = 64 * 1024
"""A PEM Ed25519 key is a few hundred bytes; anything this large is the wrong file."""


class PersonalKeyError(ValueError):
    """A personal key file is missing, unreadable, not Ed25519, or the passphrase is wrong."""


class PersonalKey:
    """A person's Ed25519 private key with its key id. Its repr never shows key material."""

    __slots__ = ("_private_key", "keyid")

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.keyid = keyid_of(private_key.public_key())

    def public_key_pem(self) -> str:
        """The public key as a SubjectPublicKeyInfo PEM block, to register with an admin."""
        return (
            self._private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def sign(self, statement: Statement) -> bytes:
        """The 64-byte Ed25519 signature of the statement's canonical bytes."""
        return self._private_key.sign(statement.canonical_bytes())

    def __repr__(self) -> str:
        return f"PersonalKey(keyid={self.keyid!r})"


def generate_personal_key(path: Path, passphrase: str | None) -> PersonalKey:
    """Create a fresh key in a new file at ``path`` (mode 0600), encrypted with ``passphrase``."""
    if passphrase == "":
        raise PersonalKeyError("the passphrase is empty: give a non-empty one, or none")
    private_key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    try:
        # O_EXCL: never overwrite a key; the mode is set at creation, so no one else can read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_KEY_MODE)
    except FileExistsError:
        raise PersonalKeyError(f"{path} already exists: choose another file") from None
    except OSError as exc:
        raise PersonalKeyError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), PRIVATE_KEY_MODE)  # the umask may have taken bits away
        file.write(pem)
    return PersonalKey(private_key)


def load_personal_key(path: Path, passphrase: str | None) -> PersonalKey:
    """The key in a PKCS#8 PEM file, decrypted with ``passphrase`` if it is encrypted."""
    try:
        with path.open("rb") as file:
            pem = file.read(MAX_KEY_FILE_BYTES + 1)  # capped: a wrong path may be huge or endless
    except FileNotFoundError:
        raise PersonalKeyError(
            f"no key file {path}: create one with `govledger personal-key --out {path}`"
        ) from None
    except OSError as exc:
        raise PersonalKeyError(f"cannot read {path}: {exc.strerror}") from None
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise PersonalKeyError(
            f"{path} is larger than {MAX_KEY_FILE_BYTES // 1024} KiB, too large for a key file: "
            "give the file `govledger personal-key` created"
        )
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem
    if encrypted and not passphrase:
        raise PersonalKeyError(f"{path} is encrypted: give its passphrase")
    if passphrase and not encrypted:
        raise PersonalKeyError(f"{path} is not encrypted: give no passphrase")
    try:
        private_key = serialization.load_pem_private_key(
            pem, passphrase.encode("utf-8") if passphrase else None
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        reason = "the passphrase is wrong" if encrypted else "it is not a PKCS#8 PEM private key"
        raise PersonalKeyError(f"cannot load {path}: {reason}") from None
    if not isinstance(private_key, Ed25519PrivateKey):
        raise PersonalKeyError(
            f"{path} holds a {type(private_key).__name__}, not an Ed25519 key: "
            "create one with `govledger personal-key`"
        )
    return PersonalKey(private_key)
