"""Rotating the event-signing key or the log key through the signed store.

The rotation is an event of the log (``ledger.key_history``), signed by the outgoing event key;
the sealer switches the key file inside the same write transaction, so no writer in any process
signs with the outgoing key after the rotation's leaf, or with the incoming key before it.
"""

from __future__ import annotations

from eventsourcing.persistence import ApplicationRecorder

from ledger.key_history import KEYS_AGGREGATE_ID, event_key_rotation, log_key_rotation
from ledger.keys import Signer
from ledger.keystore import EVENT_SIGNER, LOG, KeyStore

__all__ = ["rotate_key"]


def rotate_key(recorder: ApplicationRecorder, keystore: KeyStore, name: str) -> Signer:
    """Retire the current key ``name`` (``EVENT_SIGNER`` or ``LOG``); return the incoming one.

    If the rotation event does not commit, the outgoing key stays current and the staged key
    is discarded; the error propagates.
    """
    if name not in (EVENT_SIGNER, LOG):
        raise ValueError(f"no key named {name!r}")
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
