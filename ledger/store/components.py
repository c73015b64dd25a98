"""What both signed stores are built from, read from the persistence environment.

Environment keys (the composition root derives them from ``Settings``): ``GOVLEDGER_HOME``
and ``GOVLEDGER_KEY_PASSPHRASE`` for the keys; ``GOVLEDGER_LOG_ORIGIN``, the log's name in its
checkpoints; ``GOVLEDGER_CHECKPOINT_EVERY_LEAVES`` and ``GOVLEDGER_CHECKPOINT_EVERY_SECONDS``;
``GOVLEDGER_GROUP_COMMIT`` (``on``, the default, or ``off``: every append in its own
transaction, the baseline the group-commit benchmark compares against).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from eventsourcing.persistence import Transcoder

from ledger.errors import KeyStoreError
from ledger.keys.keystore import EVENT_SIGNER, LOG, KeyStore
from ledger.keys.live import CurrentSigner, ReloadingKeyring
from ledger.store.digest_cache import DigestCache
from ledger.store.mapper import SignedEventMapper
from ledger.store.sealing import Sealer
from ledger.tlog.checkpointer import Checkpointer, CheckpointPolicy
from ledger.tlog.published_checkpoint import CheckpointFile
from ledger.tlog.tree_store import TreeStore

__all__ = [
    "EVERY_LEAVES_KEY",
    "EVERY_SECONDS_KEY",
    "GROUP_COMMIT_KEY",
    "ORIGIN_KEY",
    "SignedStoreParts",
]

ORIGIN_KEY = "GOVLEDGER_LOG_ORIGIN"
EVERY_LEAVES_KEY = "GOVLEDGER_CHECKPOINT_EVERY_LEAVES"
EVERY_SECONDS_KEY = "GOVLEDGER_CHECKPOINT_EVERY_SECONDS"
GROUP_COMMIT_KEY = "GOVLEDGER_GROUP_COMMIT"
_SWITCH = {"on": True, "off": False}
DEFAULT_ORIGIN = "govledger.local/ledger"


class SignedStoreParts:
    """Keys, the digest cache and the checkpoint settings shared by one store's parts."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.keystore = KeyStore.from_environment(env)
        self.digests = DigestCache()
        self._brought_in: Callable[[], set[str] | None] | None = None
        self.origin = env.get(ORIGIN_KEY) or DEFAULT_ORIGIN
        defaults = CheckpointPolicy()
        try:
            self.policy = CheckpointPolicy(
                every_leaves=int(env.get(EVERY_LEAVES_KEY) or defaults.every_leaves),
                every_seconds=float(env.get(EVERY_SECONDS_KEY) or defaults.every_seconds),
            )
        except ValueError as exc:
            raise KeyStoreError(f"invalid checkpoint policy in the environment: {exc}") from None
        switch = (env.get(GROUP_COMMIT_KEY) or "on").strip().lower()
        if switch not in _SWITCH:
            raise KeyStoreError(f"{GROUP_COMMIT_KEY} must be 'on' or 'off', not {switch!r}")
        self.group_commit = _SWITCH[switch]

    def mapper(self, transcoder: Transcoder) -> SignedEventMapper:
        """The mapper that verifies every event it reads."""
        return SignedEventMapper(transcoder=transcoder, keyring=self._keyring, digests=self.digests)

    def sealer(self) -> Sealer:
        """The sealer that signs with the current event-signing key, following rotations."""
        return Sealer(CurrentSigner(self.keystore, EVENT_SIGNER), self.keystore)

    def checkpointer(self, store: TreeStore) -> Checkpointer:
        """The checkpointer of the log in ``store``, publishing to ``GOVLEDGER_HOME``."""
        return Checkpointer(
            store,
            origin=self.origin,
            signer=CurrentSigner(self.keystore, LOG),
            published=CheckpointFile.in_home(self.keystore.home),
            policy=self.policy,
            log_keys=lambda: self.keystore.log_keys().values(),
            log_key_rotating=lambda: self.keystore.rotation_in_flight(LOG),
        )

    def bind_log(self, brought_in: Callable[[], set[str] | None]) -> None:
        """Let readers trust only the event keys the log brought in (its genesis, rotations).

        The composition root binds it once the recorder exists (see ``keys_brought_in``).
        """
        self._brought_in = brought_in

    def _keyring(self) -> ReloadingKeyring:
        return ReloadingKeyring(self.keystore, self._brought_in)
