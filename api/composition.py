"""The composition root: builds the ledger application and its collaborators from Settings."""

from __future__ import annotations

from dataclasses import dataclass

from api import migrations
from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings
from domain.application import GovernanceApplication
from ledger.keys import Keyring
from ledger.keystore import KeyStore
from ledger.log_entries import LogSource

__all__ = ["Ledger", "open_ledger"]


@dataclass(frozen=True)
class Ledger:
    """An opened ledger: the governance application over the signed store."""

    database: Database
    keystore: KeyStore
    application: GovernanceApplication

    @property
    def log(self) -> LogSource:
        """The store's log, for verification."""
        recorder = self.application.recorder
        assert isinstance(recorder, LogSource)
        return recorder

    def keyring(self) -> Keyring:
        """The trusted event-signing public keys."""
        return self.keystore.event_keyring()

    def close(self) -> None:
        """Release database connections."""
        self.application.close()


def keystore_for(settings: Settings) -> KeyStore:
    """The key store under ``GOVLEDGER_HOME``."""
    passphrase = settings.key_passphrase
    return KeyStore(settings.home, passphrase.get_secret_value() if passphrase else None)


def open_ledger(settings: Settings) -> Ledger:
    """Open the ledger on an initialised database; raise ConfigurationError when it is not."""
    database = parse_database_url(settings.database_url)
    database.check_reachable()
    current, head = migrations.current_revision(database), migrations.head_revision()
    if current != head:
        state = "not initialised" if current is None else f"at schema {current}, not {head}"
        raise ConfigurationError(f"database {database.describe()} is {state}: run `govledger init`")
    application = GovernanceApplication(env=database.persistence_env(settings))
    return Ledger(database=database, keystore=keystore_for(settings), application=application)
