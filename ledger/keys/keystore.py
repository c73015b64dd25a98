"""Key files under ``GOVLEDGER_HOME/keys``.

Layout::

    keys/event-signer.key          current event-signing private key (PKCS#8 PEM, mode 0600)
    keys/log.key                   current transparency-log private key (PKCS#8 PEM, mode 0600)
    keys/<name>.next.key           the incoming key of a rotation, until the rotation is logged
    keys/<name>.previous.key       the outgoing key, only until the rotation event commits
    keys/public/event-signer-*.pem every event-signing public key ever used (published)
    keys/public/log-*.pem          every log public key ever used (published)
    keys/public/log.pem            the current log public key

Private keys are encrypted with the passphrase when one is configured and never leave these
files. A rotation (``ledger.keys.history``) stages the incoming key, publishes its public half,
and the sealer makes it current inside the write transaction of the signed rotation event;
every old public key stays published so old events and checkpoints stay verifiable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.durable_files import (
    PRIVATE_FILE,
    PUBLIC_FILE,
    fsync_directory,
    make_private_directory,
    write_atomically,
)
from ledger.errors import KeyStoreError
from ledger.keys.ed25519 import Keyring, Signer, keyid_of, public_key_from_pem, public_key_pem

__all__ = [
    "EVENT_SIGNER",
    "HOME_KEY",
    "LOG",
    "PASSPHRASE_KEY",
    "KeyStore",
]

HOME_KEY = "GOVLEDGER_HOME"
PASSPHRASE_KEY = "GOVLEDGER_KEY_PASSPHRASE"  # noqa: S105 (a setting name)
EVENT_SIGNER = "event-signer"
LOG = "log"
_NEXT = ".next"
_PREVIOUS = ".previous"


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
        for name in (EVENT_SIGNER, LOG):
            if not self._private_path(name).exists():
                created.append(self._write_new(name).keyid)
        return created

    def event_signer(self) -> Signer:
        """Load the current event-signing key."""
        return self._load(EVENT_SIGNER)

    def log_signer(self) -> Signer:
        """Load the transparency-log key."""
        return self._load(LOG)

    def signer(self, name: str) -> Signer:
        """Load the current key of ``name`` (``EVENT_SIGNER`` or ``LOG``)."""
        return self._load(name)

    def log_public_key(self) -> Ed25519PublicKey:
        """The published public key of the transparency log."""
        path = self.public_directory / f"{LOG}.pem"
        try:
            return public_key_from_pem(path.read_bytes())
        except FileNotFoundError:
            raise KeyStoreError(f"log public key {path} is missing; run `govledger init`") from None
        except KeyStoreError as exc:
            raise KeyStoreError(f"published key {path} is unusable: {exc}") from None

    def stage(self, name: str) -> Signer:
        """Create the incoming key of a rotation of ``name`` and publish its public half.

        The current key stays in force until the rotation event is sealed (``activate``).
        """
        outgoing = self._load(name)  # refuse to rotate a key we cannot read
        published = self._published_path(name, outgoing)
        if not published.exists():  # a home made before every log key was kept by its id
            self._publish(published, outgoing)
        return self._write_new(name, staged=True)

    def staged(self, name: str) -> Signer:
        """The incoming key of the rotation of ``name`` in progress."""
        return self._load(name, _NEXT)

    def activate(self, name: str) -> None:
        """Make the staged key of ``name`` current; keep the outgoing one until ``settle``."""
        current, staged = self._private_path(name), self._private_path(name, _NEXT)
        try:
            _write_private(self._private_path(name, _PREVIOUS), current.read_bytes())
            if name == LOG:
                incoming = self._load(name, _NEXT).public_key
                _write_public(self.public_directory / f"{LOG}.pem", public_key_pem(incoming))
            os.replace(staged, current)
            fsync_directory(self.directory)
        except OSError as exc:
            raise KeyStoreError(f"cannot switch key file {current}: {exc.strerror}") from None

    def settle(self, name: str, *, committed: bool) -> None:
        """After the rotation's transaction: drop the outgoing key, or restore it if it failed."""
        previous, current = self._private_path(name, _PREVIOUS), self._private_path(name)
        self._private_path(name, _NEXT).unlink(missing_ok=True)
        if not previous.exists():
            return
        if committed:
            previous.unlink()
            return
        os.replace(previous, current)
        if name == LOG:
            outgoing = self._load(name).public_key
            _write_public(self.public_directory / f"{LOG}.pem", public_key_pem(outgoing))

    def rotation_in_flight(self, name: str) -> bool:
        """True between ``activate`` and ``settle``: a rotation of ``name`` is committing (or
        was interrupted, which the next rotation repairs)."""
        return self._private_path(name, _PREVIOUS).exists()

    def key_path(self, name: str) -> Path:
        """The file of the current key of ``name``."""
        return self._private_path(name)

    def key_stamp(self, name: str) -> tuple[int, int, int]:
        """Inode, modification time and size of the current key file: changes on rotation."""
        path = self._private_path(name)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            raise KeyStoreError(f"key file {path} is missing; run `govledger init`") from None
        except OSError as exc:
            raise KeyStoreError(f"cannot read key file {path}: {exc.strerror}") from None
        return status.st_ino, status.st_mtime_ns, status.st_size

    def event_keyring(self) -> Keyring:
        """Every published event-signing public key."""
        keys = self._published(f"{EVENT_SIGNER}-*.pem")
        if not keys:
            raise KeyStoreError(
                f"no event-signing public keys in {self.public_directory}; run `govledger init`"
            )
        return Keyring(keys)

    def log_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every published log public key by key id, the current one included."""
        keys = [self.log_public_key(), *self._published(f"{LOG}-*.pem")]
        return {keyid_of(key): key for key in keys}

    def _published(self, pattern: str) -> list[Ed25519PublicKey]:
        keys = []
        for path in sorted(self.public_directory.glob(pattern)):
            try:
                keys.append(public_key_from_pem(path.read_bytes()))
            except OSError as exc:
                raise KeyStoreError(f"cannot read published key {path}: {exc.strerror}") from None
            except KeyStoreError as exc:
                raise KeyStoreError(f"published key {path} is unusable: {exc}") from None
        return keys

    def _published_path(self, name: str, signer: Signer) -> Path:
        return self.public_directory / f"{name}-{signer.keyid.removeprefix('sha256:')[:16]}.pem"

    def _publish(self, path: Path, signer: Signer) -> None:
        try:
            _write_public(path, public_key_pem(signer.public_key))
        except OSError as exc:
            raise KeyStoreError(f"cannot publish key {path}: {exc.strerror}") from None

    def _private_path(self, name: str, kind: str = "") -> Path:
        return self.directory / f"{name}{kind}.key"

    def _write_new(self, name: str, *, staged: bool = False) -> Signer:
        try:
            return self._write_new_files(name, staged=staged)
        except OSError as exc:
            raise KeyStoreError(
                f"cannot write keys to {self.directory}: {exc.strerror}; fix GOVLEDGER_HOME"
            ) from None

    def _write_new_files(self, name: str, *, staged: bool) -> Signer:
        signer = Signer.generate()
        make_private_directory(self.home)  # GOVLEDGER_HOME is 0700 whatever the umask
        self.public_directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        # Public keys are public; only the owner may add one, whatever the umask.
        os.chmod(self.public_directory, 0o755)  # noqa: S103
        pem = public_key_pem(signer.public_key)
        _write_public(self._published_path(name, signer), pem)
        if name == LOG and not staged:
            _write_public(self.public_directory / f"{LOG}.pem", pem)
        private = self._private_path(name, _NEXT if staged else "")
        _write_private(private, signer.private_pem(self._passphrase))
        return signer

    def _load(self, name: str, kind: str = "") -> Signer:
        path = self._private_path(name, kind)
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
    write_atomically(path, pem, mode=PRIVATE_FILE)


def _write_public(path: Path, pem: bytes) -> None:
    write_atomically(path, pem, mode=PUBLIC_FILE)
