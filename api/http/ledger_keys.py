"""The ledger's public keys as served: the log key as a C2SP vkey, event signers as PEM and JWK,
each with the window of the log the key history gives it.

The windows are read from the signed rotation events (``ledger.keys.history``): the event key
that signed leaf 0 is in force from leaf 0; a rotation at leaf L retires the outgoing event key
after leaf L (it signs L itself) and the incoming one signs from L + 1. A log key rotated at leaf
L signs checkpoints of up to L leaves; the incoming one those of L + 1 and more. Every rotation
read here is opened with the published event keys (``open_event``), so a forged row is refused
rather than served; ``govledger verify`` checks the windows against every signature.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.composition import Ledger
from ledger.keys.ed25519 import keyid_of, public_key_pem
from ledger.keys.history import EVENT_KEY_ROTATED, KEYS_AGGREGATE_ID, parse_rotation
from ledger.store.signed_event import open_event
from ledger.tlog.note import vkey_for

__all__ = ["KeyWindows", "event_keys", "jwk_of", "key_windows", "log_keys"]


@dataclass
class KeyWindows:
    """Where each key is in force: event keys by leaf, log keys by checkpoint size."""

    event: dict[str, dict[str, int | None]] = field(default_factory=dict)
    log: dict[str, dict[str, int | None]] = field(default_factory=dict)


def jwk_of(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The RFC 8037 JWK of an Ed25519 public key, ``kid`` its govledger key id."""
    raw = public_key.public_bytes_raw()
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": x,
        "kid": keyid_of(public_key),
        "use": "sig",
        "alg": "EdDSA",
    }


def key_windows(ledger: Ledger) -> KeyWindows:
    """The windows the log's signed rotations give the event and log keys."""
    windows = KeyWindows()
    keyring = ledger.keyring()
    first = ledger.log.select_log_entries(0, 1)
    if not first or first[0].stored is None:
        return windows
    current_event = open_event(first[0].stored, keyring).keyid
    windows.event[current_event] = {"from_leaf": 0, "until_leaf": None}
    for stored in ledger.recorder.select_events(KEYS_AGGREGATE_ID):
        entry = ledger.recorder.leaf_of(KEYS_AGGREGATE_ID, stored.originator_version)
        if entry is None:
            continue  # not logged yet: in force nowhere
        leaf = entry.leaf_index
        rotation = parse_rotation(stored.topic, open_event(stored, keyring).state)
        if rotation.topic == EVENT_KEY_ROTATED:
            windows.event.setdefault(rotation.outgoing, {"from_leaf": None})["until_leaf"] = leaf
            windows.event[rotation.incoming_keyid] = {"from_leaf": leaf + 1, "until_leaf": None}
        else:
            windows.log.setdefault(rotation.outgoing, {"from_size": 1})["until_size"] = leaf
            windows.log[rotation.incoming_keyid] = {"from_size": leaf + 1, "until_size": None}
    if not windows.log:  # never rotated: the one log key signs every checkpoint
        current = keyid_of(ledger.keystore.log_public_key())
        windows.log[current] = {"from_size": 1, "until_size": None}
    return windows


def event_keys(ledger: Ledger, windows: KeyWindows) -> list[dict[str, Any]]:
    """Every published event-signing key: PEM, JWK, and its window (None: never in force)."""
    found = []
    for keyid, public_key in sorted(ledger.keyring().keys.items()):
        window = windows.event.get(keyid, {})
        found.append(
            {
                "keyid": keyid,
                "pem": public_key_pem(public_key).decode("ascii"),
                "jwk": jwk_of(public_key),
                "from_leaf": window.get("from_leaf"),
                "until_leaf": window.get("until_leaf"),
                "status": _status(window, "until_leaf"),
            }
        )
    return found


def log_keys(ledger: Ledger, windows: KeyWindows) -> list[dict[str, Any]]:
    """Every published log key: its C2SP vkey, and the checkpoint sizes it signs."""
    origin = ledger.settings.log_origin
    found = []
    for keyid, public_key in sorted(ledger.keystore.log_keys().items()):
        window = windows.log.get(keyid, {})
        found.append(
            {
                "keyid": keyid,
                "vkey": vkey_for(origin, public_key),
                "from_size": window.get("from_size"),
                "until_size": window.get("until_size"),
                "status": _status(window, "until_size"),
            }
        )
    return found


def _status(window: dict[str, int | None], until: str) -> str:
    if not window:
        return "published, not in force"
    return "retired" if window.get(until) is not None else "current"
