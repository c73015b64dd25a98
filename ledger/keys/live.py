"""Keys that follow rotations made by other processes.

``CurrentSigner`` gives the signer of a key file as it is now (one ``stat`` per call), so a
writer started before a rotation signs with the incoming key from its first transaction after
the rotation; ``ReloadingKeyring`` re-reads the published keys when a signature names a key it
does not know, so a reader started before a rotation verifies events signed by the new key.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.keys.ed25519 import Keyring, Signer
from ledger.keys.keystore import KeyStore

__all__ = ["CurrentSigner", "ReloadingKeyring"]


class CurrentSigner:
    """The current key of one name, reloaded when its file changes (a rotation elsewhere).

    Calling it costs one ``stat`` (it runs on every append): a process that started before a
    rotation signs with the incoming key from the first transaction after the rotation.
    """

    def __init__(self, keystore: KeyStore, name: str) -> None:
        self._keystore = keystore
        self._name = name
        self._path = str(keystore.key_path(name))
        self._stamp: tuple[int, int] | None = None
        self._signer: Signer | None = None

    def __call__(self) -> Signer:
        """The signer of the key file as it is now."""
        try:
            status = os.stat(self._path)
        except OSError:
            self._keystore.key_stamp(self._name)  # raises the error that says what to fix
            raise
        # os.replace gives the file a new inode: a rotation always changes the stamp.
        stamp = (status.st_ino, status.st_mtime_ns)
        if stamp != self._stamp or self._signer is None:
            self._signer = self._keystore.signer(self._name)
            self._stamp = stamp
        return self._signer


class ReloadingKeyring(Keyring):
    """The published event keys, read again when a signature names a key not yet known.

    A reader that started before a rotation thus verifies events signed by the incoming key.
    With ``brought_in`` (the key ids the log's genesis and rotations brought in, or None when
    the log cannot say yet), a published key no rotation brought in is not trusted.
    """

    def __init__(
        self, keystore: KeyStore, brought_in: Callable[[], set[str] | None] | None = None
    ) -> None:
        self._keystore = keystore
        self._brought_in = brought_in
        super().__init__(self._trusted().values())

    def verify(self, keyid: str, signature: bytes, message: bytes) -> None:
        """As ``Keyring.verify``, after re-reading the published keys if ``keyid`` is new."""
        if keyid not in self._keys:
            self._keys = self._trusted()
        super().verify(keyid, signature, message)

    def _trusted(self) -> dict[str, Ed25519PublicKey]:
        published = dict(self._keystore.event_keyring().keys)
        allowed = self._brought_in() if self._brought_in is not None else None
        if allowed is None:
            return published
        return {keyid: key for keyid, key in published.items() if keyid in allowed}
