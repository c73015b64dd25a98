"""The composition root: builds the ledger application and its collaborators from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.ed25519_signatures import Ed25519SignatureVerifier
from api import migrations
from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings
from domain.application import GovernanceApplication
from ledger.checkpointer import Checkpointer
from ledger.keys import Keyring
from ledger.keystore import KeyStore
from ledger.log_entries import LogSource
from ledger.note import NoteVerifier, vkey_for
from ledger.postgres import SignedPostgresApplicationRecorder
from ledger.publication import CheckpointFile
from ledger.sqlite import SignedSQLiteApplicationRecorder
from ledger.tree_store import TreeStore

__all__ = ["Ledger", "keystore_for", "log_vkey", "open_ledger", "published_checkpoint"]

SignedRecorder = SignedSQLiteApplicationRecorder | SignedPostgresApplicationRecorder


@dataclass(frozen=True)
class Ledger:
    """An opened ledger: the governance application over the signed store and its log."""

    settings: Settings
    database: Database
    keystore: KeyStore
    application: GovernanceApplication

    @property
    def recorder(self) -> SignedRecorder:
        """The signed recorder under the application."""
        recorder = self.application.recorder
        assert isinstance(recorder, SignedRecorder)
        return recorder

    @property
    def log(self) -> LogSource:
        """The store's log, for verification."""
        return self.recorder

    @property
    def tree(self) -> TreeStore:
        """The stored Merkle tree and checkpoints."""
        return self.recorder.tree_store()

    @property
    def checkpointer(self) -> Checkpointer:
        """The checkpointer of the log."""
        return self.recorder.checkpointer

    def keyring(self) -> Keyring:
        """The trusted event-signing public keys."""
        return self.keystore.event_keyring()

    def log_verifier(self) -> NoteVerifier:
        """The verifier of the log's checkpoints, from its published public key."""
        return NoteVerifier.from_vkey(log_vkey(self.settings, self.keystore))

    def close(self) -> None:
        """Release database connections."""
        self.application.close()


def keystore_for(settings: Settings) -> KeyStore:
    """The key store under ``GOVLEDGER_HOME``."""
    passphrase = settings.key_passphrase
    return KeyStore(settings.home, passphrase.get_secret_value() if passphrase else None)


def log_vkey(settings: Settings, keystore: KeyStore) -> str:
    """The log's C2SP verifier key: its origin and published public key."""
    return vkey_for(settings.log_origin, keystore.log_public_key())


def published_checkpoint(settings: Settings) -> CheckpointFile:
    """The latest checkpoint as published under ``GOVLEDGER_HOME``."""
    return CheckpointFile.in_home(settings.home)


def open_ledger(settings: Settings) -> Ledger:
    """Open the ledger on an initialised database; raise ConfigurationError when it is not."""
    database = parse_database_url(settings.database_url)
    database.check_reachable()
    current, head = migrations.current_revision(database), migrations.head_revision()
    if current != head:
        state = "not initialised" if current is None else f"at schema {current}, not {head}"
        raise ConfigurationError(f"database {database.describe()} is {state}: run `govledger init`")
    application = GovernanceApplication(
        env=database.persistence_env(settings), signatures=Ed25519SignatureVerifier()
    )
    return Ledger(
        settings=settings,
        database=database,
        keystore=keystore_for(settings),
        application=application,
    )
