"""Key files under ``GOVLEDGER_HOME/keys``.

Layout::

    keys/event-signer.key          current event-signing private key (PKCS#8 PEM, mode 0600)
    keys/log.key                   transparency-log private key (PKCS#8 PEM, mode 0600)
    keys/public/event-signer-*.pem every event-signing public key ever used (published)
    keys/public/log.pem            the log's public key

Private keys are encrypted with the passphrase when one is configured and never leave these
files. Rotation writes a new event-signing key and keeps every old public key, so old events
stay verifiable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import KeyStoreError
from ledger.keys import Keyring, Signer, public_key_from_pem, public_key_pem

__all__ = ["HOME_KEY", "PASSPHRASE_KEY", "KeyStore"]

HOME_KEY = "GOVLEDGER_HOME"
PASSPHRASE_KEY = "GOVLEDGER_KEY_PASSPHRASE"  # noqa: S105 (a setting name)
_EVENT_SIGNER = "event-signer"
_LOG = "log"


class KeyStore:
    """Creates, loads and rotates the service's keys in one directory."""

    def __init__(self, home: Path, passphrase: str | None = None) -> None:
        self.home = home
        self.directory = home / "keys"
        self.public_directory = self.directory / "public"
        self._passphrase = passphrase.encode("utf-8") if passphrase else None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> KeyStore:
        """Build from the ``GOVLEDGER_HOME`` and ``GOVLEDGER_KEY_PASSPHRASE`` entries of ``env``."""
        home = env.get(HOME_KEY)
        if not home:
            raise KeyStoreError(f"{HOME_KEY} is not set in the persistence environment")
        return cls(Path(home), env.get(PASSPHRASE_KEY) or None)

    def create_missing(self) -> list[str]:
        """Create the event-signing and log keys if absent; return the key ids created."""
        created = []
        for name in (_EVENT_SIGNER, _LOG):
            if not self._private_path(name).exists():
                created.append(self._write_new(name).keyid)
        return created

    def event_signer(self) -> Signer:
        """Load the current event-signing key."""
        return self._load(_EVENT_SIGNER)

    def log_signer(self) -> Signer:
        """Load the transparency-log key."""
        return self._load(_LOG)

    def log_public_key(self) -> Ed25519PublicKey:
        """The published public key of the transparency log."""
        path = self.public_directory / f"{_LOG}.pem"
        try:
            return public_key_from_pem(path.read_bytes())
        except FileNotFoundError:
            raise KeyStoreError(f"log public key {path} is missing; run `govledger init`") from None
        except KeyStoreError as exc:
            raise KeyStoreError(f"published key {path} is unusable: {exc}") from None

    def rotate_event_signer(self) -> Signer:
        """Replace the event-signing key; its predecessor's public key stays published."""
        self.event_signer()  # refuse to rotate a key we cannot read
        return self._write_new(_EVENT_SIGNER)

    def event_keyring(self) -> Keyring:
        """Every published event-signing public key."""
        paths = sorted(self.public_directory.glob(f"{_EVENT_SIGNER}-*.pem"))
        if not paths:
            raise KeyStoreError(
                f"no event-signing public keys in {self.public_directory}; run `govledger init`"
            )
        keys = []
        for path in paths:
            try:
                keys.append(public_key_from_pem(path.read_bytes()))
            except KeyStoreError as exc:
                raise KeyStoreError(f"published key {path} is unusable: {exc}") from None
        return Keyring(keys)

    def _private_path(self, name: str) -> Path:
        return self.directory / f"{name}.key"

    def _write_new(self, name: str) -> Signer:
        try:
            return self._write_new_files(name)
        except OSError as exc:
            raise KeyStoreError(
                f"cannot write keys to {self.directory}: {exc.strerror}; fix GOVLEDGER_HOME"
            ) from None

    def _write_new_files(self, name: str) -> Signer:
        signer = Signer.generate()
        self.public_directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        suffix = f"-{signer.keyid.removeprefix('sha256:')[:16]}" if name == _EVENT_SIGNER else ""
        (self.public_directory / f"{name}{suffix}.pem").write_bytes(
            public_key_pem(signer.public_key)
        )
        _write_private(self._private_path(name), signer.private_pem(self._passphrase))
        return signer

    def _load(self, name: str) -> Signer:
        path = self._private_path(name)
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(f"key file {path} is missing; run `govledger init`") from None
        except OSError as exc:
            raise KeyStoreError(f"cannot read key file {path}: {exc.strerror}") from None
        try:
            key = serialization.load_pem_private_key(pem, password=self._passphrase)
        except TypeError:
            raise KeyStoreError(
                f"key file {path} is encrypted: set GOVLEDGER_KEY_PASSPHRASE"
                if self._passphrase is None
                else f"key file {path} is not encrypted: unset GOVLEDGER_KEY_PASSPHRASE"
            ) from None
        except ValueError:
            raise KeyStoreError(
                f"cannot decrypt key file {path}: check GOVLEDGER_KEY_PASSPHRASE"
                if b"ENCRYPTED" in pem
                else f"key file {path} is not a PEM private key: restore it from backup"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"key file {path} does not hold an Ed25519 private key")
        return Signer(key)


def _write_private(path: Path, pem: bytes) -> None:
    """Write a private key atomically, readable by the owner only."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.replace(temporary, path)
