"""Rotating the event-signing key or the log key through the signed store.

The rotation is an event of the log (``ledger.keys.history``), signed by the outgoing event key;
the sealer switches the key file inside the same write transaction, so no writer in any process
signs with the outgoing key after the rotation's leaf, or with the incoming key before it. A
rotation interrupted between that switch and the end of its transaction (a crash) leaves the
outgoing key in ``<name>.previous.key``; rotating again is refused until
``repair_interrupted_rotation`` (``govledger rotate-key --repair``) settles it from the log.
"""

from __future__ import annotations

import base64
import json

from eventsourcing.persistence import ApplicationRecorder

from ledger.errors import KeyStoreError, VerificationError
from ledger.keys.ed25519 import Keyring, Signer
from ledger.keys.history import (
    EVENT_KEY_ROTATED,
    KEYS_AGGREGATE_ID,
    LOG_KEY_ROTATED,
    event_key_rotation,
    log_key_rotation,
    parse_rotation,
)
from ledger.keys.keystore import EVENT_SIGNER, LOG, KeyStore
from ledger.store.log_entries import LogSource
from ledger.store.signed_event import open_event

__all__ = ["keys_brought_in", "repair_interrupted_rotation", "rotate_key"]

_TOPICS = {EVENT_SIGNER: EVENT_KEY_ROTATED, LOG: LOG_KEY_ROTATED}


def rotate_key(recorder: ApplicationRecorder, keystore: KeyStore, name: str) -> Signer:
    """Retire the current key ``name`` (``EVENT_SIGNER`` or ``LOG``); return the incoming one.

    If the rotation event does not commit, the outgoing key stays current and the staged key
    is discarded; the error propagates.
    """
    if name not in _TOPICS:
        raise ValueError(f"no key named {name!r}")
    if keystore.rotation_in_flight(name):
        raise KeyStoreError(
            f"a rotation of the {name} key is in progress or was interrupted "
            f"({name}.previous.key exists); if no other rotate-key is running, "
            "run `govledger rotate-key --repair`"
        )
    outgoing = keystore.signer(name)
    incoming = keystore.stage(name)
    committed = False
    try:
        latest = recorder.select_events(KEYS_AGGREGATE_ID, desc=True, limit=1)
        version = latest[0].originator_version + 1 if latest else 1
        build = log_key_rotation if name == LOG else event_key_rotation
        recorder.insert_events([build(version, outgoing, incoming)])
        committed = True
    finally:
        keystore.settle(name, committed=committed)
    return incoming


def repair_interrupted_rotation(
    recorder: ApplicationRecorder, keystore: KeyStore, name: str
) -> bool | None:
    """Finish or undo a rotation of ``name`` that stopped after its key switch (run it only
    when no other rotation is running).

    The log decides: if its latest rotation of ``name`` brought in the current key, the
    rotation committed and only the outgoing key file is left to drop; otherwise the outgoing
    key is restored. Returns None when nothing was interrupted, else whether it had committed.
    """
    if not keystore.rotation_in_flight(name):
        return None
    current = keystore.signer(name).keyid
    committed = _latest_incoming(recorder, _TOPICS[name]) == current
    keystore.settle(name, committed=committed)
    return committed


def keys_brought_in(
    recorder: ApplicationRecorder, log: LogSource, keyring: Keyring
) -> set[str] | None:
    """The event keys the log brought in: the signer of leaf 0 and every rotation's incoming key.

    Each is read through ``open_event`` against the published ``keyring``. None while the log
    is empty or its first leaf unreadable (``verify`` reports that). Not positions: a reader
    cannot know an event's leaf, so windows are ``verify``'s; this only keeps out a published
    key no rotation brought in.
    """
    first = log.select_log_entries(0, 1)
    if not first or first[0].stored is None:
        return None
    try:
        keys = {open_event(first[0].stored, keyring).keyid}
        for stored in recorder.select_events(KEYS_AGGREGATE_ID):
            if stored.topic == EVENT_KEY_ROTATED:
                rotation = parse_rotation(stored.topic, open_event(stored, keyring).state)
                keys.add(rotation.incoming_keyid)
    except VerificationError:
        return None
    return keys


def _latest_incoming(recorder: ApplicationRecorder, topic: str) -> str | None:
    """The incoming key id of the newest rotation with ``topic`` (read, not verified: ``verify``
    checks every rotation; here it only decides which of our own key files to keep)."""
    for stored in recorder.select_events(KEYS_AGGREGATE_ID, desc=True):
        if stored.topic != topic:
            continue
        try:
            payload = json.loads(base64.b64decode(json.loads(stored.state)["payload"]))
            keyid = payload["state"]["incoming"]["keyid"]
        except (ValueError, KeyError, TypeError):
            return None
        return keyid if isinstance(keyid, str) else None
    return None
