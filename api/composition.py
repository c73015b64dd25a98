"""The composition root: builds the ledger application and its collaborators from Settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.ed25519_signatures import Ed25519SignatureVerifier
from api import migrations
from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings
from domain.application import GovernanceApplication
from ledger.keys.ed25519 import Keyring, keyid_of
from ledger.keys.history import KeyHistory
from ledger.keys.keystore import KeyStore
from ledger.keys.rotation import keys_brought_in
from ledger.store.log_entries import LogSource
from ledger.store.postgres import SignedPostgresApplicationRecorder, SignedPostgresFactory
from ledger.store.sqlite import SignedSQLiteApplicationRecorder, SignedSQLiteFactory
from ledger.tlog.checkpointer import Checkpointer
from ledger.tlog.note import NoteVerifier, vkey_for
from ledger.tlog.published_checkpoint import CheckpointFile
from ledger.tlog.tree_store import TreeStore

__all__ = [
    "Ledger",
    "keystore_for",
    "log_vkey",
    "ml_ports",
    "open_ledger",
    "published_checkpoint",
    "service_keyids",
]

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

    def key_history(self) -> KeyHistory:
        """The published event and log keys, trusted only within the windows the log gives them.

        Pass it to ``verify_store`` (which learns the windows as it reads the log), then ask it
        which log key may sign each checkpoint.
        """
        return KeyHistory(
            self.keystore.event_keyring(),
            self.keystore.log_keys(),
            current_log_keyid=keyid_of(self.keystore.log_public_key()),
        )

    def log_verifier(self) -> NoteVerifier:
        """The verifier of the log's checkpoints, from its current published public key."""
        return NoteVerifier.from_vkey(log_vkey(self.settings, self.keystore))

    def log_verifiers(self) -> list[NoteVerifier]:
        """Verifiers of every published log key, retired ones included (for old checkpoints)."""
        origin = self.settings.log_origin
        return [
            NoteVerifier.from_vkey(vkey_for(origin, k)) for k in self.keystore.log_keys().values()
        ]

    def checkpoint_key_problems(self, history: KeyHistory, published: Sequence[str]) -> list[str]:
        """Stored and ``published`` checkpoints not signed by the log key in force at their size.

        Call after ``verify_store`` has read the log into ``history``.
        """
        with self.tree.reading() as c:
            stored = [checkpoint.note for checkpoint in self.tree.checkpoints(c)]
        return history.checkpoint_problems([*stored, *published], self.settings.log_origin)

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


def ml_ports(settings: Settings) -> dict[str, Any]:
    """The real ML adapters as the application's ports: the artifact store under
    ``GOVLEDGER_HOME``, scikit-learn training, fairlearn mitigation, holdout assessment, LIME,
    compiled scoring, the skops allow-list inspector and, when configured, the webhook."""
    # Imported here: scikit-learn and friends take a second to import, and most commands
    # (verify, checkpoint, proof) never train or score.
    from adapters.artifacts.file_store import FileArtifactStore
    from adapters.artifacts.model_files import SkopsInspector
    from adapters.explaining.lime_explainer import LimeExplainer
    from adapters.monitoring.drift_detector import SummaryDriftDetector
    from adapters.notify.webhook import WebhookNotifier
    from adapters.scoring.scorer import CompiledScorer
    from adapters.training.mitigation import FairlearnMitigator
    from adapters.training.trainer import SklearnTrainer
    from adapters.validation.assessor import HoldoutAssessor
    from adapters.validation.fairness import CountingFairnessAssessor

    explainer = LimeExplainer()
    ports: dict[str, Any] = {
        "artifacts": FileArtifactStore.in_home(settings.home),
        "trainer": SklearnTrainer(),
        "mitigator": FairlearnMitigator(),
        "assessor": HoldoutAssessor(explainer=explainer, sample=10),
        "explainer": explainer,
        "scorer": CompiledScorer(),
        "inspector": SkopsInspector(),
        "drift_detector": SummaryDriftDetector(),
        "fairness_assessor": CountingFairnessAssessor(),
    }
    if settings.webhook_url:
        ports["notifier"] = WebhookNotifier(settings.webhook_url, settings.home / "outbox")
    return ports


def open_ledger(settings: Settings, *, with_ml: bool = False) -> Ledger:
    """Open the ledger on an initialised database; raise ConfigurationError when it is not.

    ``with_ml`` gives the application the real ML adapters (``ml_ports``)."""
    database = parse_database_url(settings.database_url)
    database.check_reachable()
    current, head = migrations.current_revision(database), migrations.head_revision()
    if current != head:
        state = "not initialised" if current is None else f"at schema {current}, not {head}"
        raise ConfigurationError(f"database {database.describe()} is {state}: run `govledger init`")
    keystore = keystore_for(settings)
    application = GovernanceApplication(
        env=database.persistence_env(settings),
        signatures=Ed25519SignatureVerifier(),
        service_keyids=lambda: service_keyids(keystore),
        **(ml_ports(settings) if with_ml else {}),
    )
    ledger = Ledger(
        settings=settings, database=database, keystore=keystore, application=application
    )
    # Readers trust only the event keys the log brought in, not any file in keys/public.
    factory = application.factory
    assert isinstance(factory, SignedSQLiteFactory | SignedPostgresFactory)
    factory.parts.bind_log(
        lambda: keys_brought_in(ledger.recorder, ledger.log, keystore.event_keyring())
    )
    return ledger


def service_keyids(keystore: KeyStore) -> set[str]:
    """The key ids of the ledger's own keys, current and retired: never a person's key."""
    return set(keystore.event_keyring().keys) | set(keystore.log_keys())
