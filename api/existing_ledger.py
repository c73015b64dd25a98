"""What ``govledger init`` checks before touching a database that already holds a ledger.

A populated ledger was signed by particular keys. ``init`` must never create fresh keys for it
(they would sign a second, unverifiable history on top of the first) nor accept a home whose
keys signed something else. These checks read the raw rows, before any migration, so a refusal
leaves the database and ``GOVLEDGER_HOME`` exactly as they were. They are an operator's guard,
not an integrity check: ``govledger verify`` checks every signature.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from typing import Any

import psycopg

from api.database import Database
from api.errors import ConfigurationError
from ledger.errors import KeyStoreError, VerificationError
from ledger.keys.ed25519 import public_key_from_pem
from ledger.keys.keystore import KeyStore
from ledger.tlog.note import SignedNote, note_key_hash

__all__ = ["holds_events", "require_the_keys_that_signed_it"]

# The private key files of KeyStore's documented layout (ledger/keys/keystore.py).
_PRIVATE_KEY_FILES = ("event-signer.key", "log.key")
_NEWEST_EVENT = {
    "sqlite": "SELECT state FROM ledger_events ORDER BY rowid DESC LIMIT 1",
    "postgresql": "SELECT state FROM ledger_events ORDER BY notification_id DESC LIMIT 1",
}
_CONNECT_TIMEOUT_SECONDS = 5
_NEWEST_CHECKPOINT = "SELECT note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"


def holds_events(database: Database) -> bool:
    """Whether ``database`` has a ``ledger_events`` table with at least one row."""
    return bool(_rows(database, "SELECT 1 FROM ledger_events LIMIT 1"))


def require_the_keys_that_signed_it(database: Database, keystore: KeyStore, origin: str) -> None:
    """Refuse (ConfigurationError) unless ``keystore`` holds the keys of the ledger in ``database``.

    The private keys must be present, the newest event must name a published event key, and
    the newest checkpoint, if any, must carry a signature by a published log key.
    """
    restore = (
        f"restore {keystore.directory} from the backup of this ledger (or point "
        "GOVLEDGER_DATABASE_URL at the ledger these keys belong to); init created nothing"
    )
    missing = [name for name in _PRIVATE_KEY_FILES if not (keystore.directory / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"database {database.describe()} already holds a signed ledger, but "
            f"{keystore.directory} lacks {', '.join(missing)}: new keys could not continue "
            f"it; {restore}"
        )
    event_keyid = _newest_event_keyid(database)
    if event_keyid not in keystore.event_keyring().keys:
        raise ConfigurationError(
            f"the newest event of {database.describe()} is signed by {event_keyid}, which is "
            f"not among the event keys in {keystore.public_directory}: {restore}"
        )
    note = _rows(database, _NEWEST_CHECKPOINT)
    if note and not _signed_by_a_log_key(str(note[0][0]), keystore, origin):
        raise ConfigurationError(
            f"the newest checkpoint of {database.describe()} carries no signature by the log "
            f"keys in {keystore.public_directory} (origin {origin}): {restore}"
        )


def _newest_event_keyid(database: Database) -> str:
    (state,) = _rows(database, _NEWEST_EVENT[database.engine])[0]
    try:
        keyid = json.loads(bytes(state))["signatures"][0]["keyid"]
    except (ValueError, TypeError, KeyError, IndexError):
        keyid = None
    if not isinstance(keyid, str):
        raise ConfigurationError(
            f"the newest event of {database.describe()} is not a signed envelope, so init "
            "cannot tell which keys signed the ledger: run `govledger verify`"
        )
    return keyid


def _signed_by_a_log_key(note: str, keystore: KeyStore, origin: str) -> bool:
    """Whether ``note`` has a signature line whose key hash is that of a published log key."""
    try:
        hashes = {s.key_hash for s in SignedNote.from_text(note).signatures if s.name == origin}
    except (VerificationError, ValueError):
        return False
    keys = []
    # Every published log key, current or retired: the newest checkpoint may predate a rotation.
    for path in sorted(keystore.public_directory.glob("log*.pem")):
        try:
            keys.append(public_key_from_pem(path.read_bytes()))
        except (KeyStoreError, OSError):
            continue  # an unreadable file is no key of this log
    return any(note_key_hash(origin, key) in hashes for key in keys)


def _rows(database: Database, statement: str) -> list[tuple[Any, ...]]:
    """The rows of one read; none when the table does not exist (a never-migrated database)."""
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        if not database.sqlite_path.exists():
            return []
        try:
            with closing(sqlite3.connect(database.sqlite_path)) as connection:
                return connection.execute(statement).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise ConfigurationError(
                f"cannot read {database.describe()}: {exc}; fix GOVLEDGER_DATABASE_URL"
            ) from None
    try:
        with psycopg.connect(
            database.libpq_conninfo(), connect_timeout=_CONNECT_TIMEOUT_SECONDS, autocommit=True
        ) as connection:
            return connection.execute(statement).fetchall()
    except psycopg.errors.UndefinedTable:
        return []
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"cannot read {database.describe()}: {reason}; fix GOVLEDGER_DATABASE_URL"
        ) from None
