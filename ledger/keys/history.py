"""Key rotations as signed events in the log, and the windows of trust they define.

A rotation is an event of the reserved aggregate ``KEYS_AGGREGATE_ID``, sealed like every other
event: its envelope is signed by the event-signing key in force, it takes the next leaf of the
transparency log, and checkpoints cover it. Its state names the outgoing and the incoming key
(key id and raw Ed25519 public key, base64). The rotation's own leaf is the position: the
outgoing key signs up to and including it, the incoming key from the next leaf on. For the log
key, a checkpoint whose tree includes the rotation's leaf is signed by the incoming log key, and
the state also carries the outgoing log key's endorsement of the incoming one.

``KeyHistory`` reads the log in leaf order (the genesis event key is the one that signed leaf 0)
and says, for each signature, whether its key was in force at that leaf, and for each checkpoint
size, which log key may sign it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import StoredEvent

from ledger.encoding.canonical import canonical_json
from ledger.errors import VerificationError
from ledger.keys.ed25519 import Keyring, Signer, keyid_of
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import NoteVerifier, SignedNote, vkey_for

__all__ = [
    "EVENT_KEY_ROTATED",
    "KEYS_AGGREGATE_ID",
    "LOG_KEY_ROTATED",
    "EventKeyRotated",
    "KeyHistory",
    "LogKeyRotated",
    "Rotation",
    "event_key_rotation",
    "is_keys_aggregate",
    "log_key_rotation",
    "parse_rotation",
    "parse_state",
]

KEYS_AGGREGATE_ID = uuid5(NAMESPACE_URL, "urn:govledger:ledger-keys")
"""The reserved aggregate whose events are the key rotations (uuid5 in the URL namespace)."""
EVENT_KEY_ROTATED = "ledger.keys.history:EventKeyRotated"
LOG_KEY_ROTATED = "ledger.keys.history:LogKeyRotated"
_ENDORSEMENT_CONTEXT = b"govledger log key rotation v1\n"


class EventKeyRotated:
    """The domain-event class of an event-key rotation, so the library can resolve its topic."""

    originator_id: UUID
    originator_version: int


class LogKeyRotated:
    """The domain-event class of a log-key rotation, so the library can resolve its topic."""

    originator_id: UUID
    originator_version: int


@dataclass(frozen=True, slots=True)
class Rotation:
    """One rotation as signed: which key, the outgoing key id, the incoming key."""

    topic: str
    outgoing: str
    incoming: Ed25519PublicKey
    endorsement: bytes | None = None  # the outgoing log key's signature (log rotations only)

    @property
    def incoming_keyid(self) -> str:
        """The incoming key's id."""
        return keyid_of(self.incoming)


def event_key_rotation(version: int, outgoing: Signer, incoming: Signer) -> StoredEvent:
    """The unsigned stored event that retires ``outgoing`` and brings in ``incoming``."""
    state = {"incoming": _key_member(incoming.public_key), "outgoing": outgoing.keyid}
    return StoredEvent(KEYS_AGGREGATE_ID, version, EVENT_KEY_ROTATED, canonical_json(state))


def log_key_rotation(version: int, outgoing: Signer, incoming: Signer) -> StoredEvent:
    """The unsigned stored event that retires log key ``outgoing``, endorsed by it."""
    members = {"incoming": _key_member(incoming.public_key), "outgoing": outgoing.keyid}
    endorsement = outgoing.sign(_ENDORSEMENT_CONTEXT + canonical_json(members))
    state = {**members, "endorsement": base64.b64encode(endorsement).decode("ascii")}
    return StoredEvent(KEYS_AGGREGATE_ID, version, LOG_KEY_ROTATED, canonical_json(state))


def parse_rotation(topic: str, state: Any) -> Rotation:
    """Read a rotation's signed state; raise VerificationError when it is malformed."""
    if topic not in (EVENT_KEY_ROTATED, LOG_KEY_ROTATED):
        raise VerificationError(f"{topic!r} is not a key rotation")
    expected = {"incoming", "outgoing"} | ({"endorsement"} if topic == LOG_KEY_ROTATED else set())
    if not isinstance(state, dict) or set(state) != expected:
        raise VerificationError(f"malformed key rotation: members must be {sorted(expected)}")
    incoming, outgoing = state["incoming"], state["outgoing"]
    if not isinstance(outgoing, str) or not isinstance(incoming, dict):
        raise VerificationError("malformed key rotation: outgoing or incoming has the wrong type")
    if set(incoming) != {"keyid", "public_key"}:
        raise VerificationError("malformed key rotation: incoming needs keyid and public_key")
    raw = _b64(incoming["public_key"], "incoming public_key")
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise VerificationError("malformed key rotation: not a 32-byte Ed25519 key") from None
    if keyid_of(key) != incoming["keyid"]:
        raise VerificationError("malformed key rotation: incoming keyid is not its key's id")
    endorsement = _b64(state["endorsement"], "endorsement") if "endorsement" in state else None
    return Rotation(topic, outgoing, key, endorsement)


class KeyHistory:
    """Which event key and which log key were in force where, learnt by reading the log in order.

    Built from the published keys; ``observe`` every verified event in leaf order. Any key
    outside its window, or a published key no rotation brought in, is a problem.
    """

    def __init__(
        self,
        event_keys: Keyring,
        log_keys: Mapping[str, Ed25519PublicKey],
        *,
        current_log_keyid: str | None = None,
    ) -> None:
        self.keyring = event_keys
        self._log_keys = dict(log_keys)
        self._current_log_keyid = current_log_keyid
        self.event_keyid: str | None = None  # None until the genesis key signs leaf 0
        self._retired: dict[str, int] = {}
        self._log_windows: list[tuple[int, str]] = []  # (first tree size, log keyid)

    def verify(self, keyid: str, signature: bytes, message: bytes) -> None:
        """Check a signature against the published event keys (windows are ``signer_problem``)."""
        self.keyring.verify(keyid, signature, message)

    def signer_problem(self, keyid: str, leaf_index: int) -> str | None:
        """Why ``keyid`` may not sign leaf ``leaf_index`` (None when it may)."""
        if self.event_keyid is None:
            self.event_keyid = keyid  # the genesis key: whichever published key signed first
        if keyid == self.event_keyid:
            return None
        if keyid in self._retired:
            return f"signed with key {keyid} retired at leaf {self._retired[keyid]}"
        return f"signed with key {keyid}, which no rotation brought in before leaf {leaf_index}"

    def observe(self, leaf_index: int, stored: StoredEvent, state: Any) -> str | None:
        """Apply a verified event at ``leaf_index``; return a problem with it, if any."""
        rotation_topic = stored.topic in (EVENT_KEY_ROTATED, LOG_KEY_ROTATED)
        if is_keys_aggregate(stored.originator_id) != rotation_topic:
            return "key rotations are exactly the events of the key history aggregate"
        if not rotation_topic:
            return None
        try:
            rotation = parse_rotation(stored.topic, state)
        except VerificationError as exc:
            return str(exc)
        if rotation.topic == EVENT_KEY_ROTATED:
            return self._rotate_event_key(leaf_index, rotation)
        return self._rotate_log_key(leaf_index, rotation)

    def log_keyid_for(self, size: int) -> str | None:
        """The log key that may sign a checkpoint of ``size`` leaves (None: no published key)."""
        keyid = None
        for first_size, window_keyid in self._log_windows:
            if first_size <= size:
                keyid = window_keyid
        if keyid is None:
            keyid = self._current_log_keyid  # never rotated: the one log key in force
        return keyid if keyid in self._log_keys else None

    def log_verifier_for(self, size: int, origin: str) -> NoteVerifier | None:
        """The verifier of checkpoints of ``size`` leaves under ``origin``."""
        keyid = self.log_keyid_for(size)
        if keyid is None:
            return None
        return NoteVerifier.from_vkey(vkey_for(origin, self._log_keys[keyid]))

    def log_note_problem(self, note: str, origin: str) -> str | None:
        """Why the checkpoint ``note`` is not signed by the log key in force at its size."""
        try:
            size = Checkpoint.from_text(SignedNote.from_text(note).text).size
        except VerificationError:
            return None  # a malformed note is reported by whoever opens it
        verifier = self.log_verifier_for(size, origin)
        if verifier is None:
            return f"no published log key was in force at size {size}"
        names = {(s.name, s.key_hash) for s in SignedNote.from_text(note).signatures}
        if (verifier.name, verifier.key_hash) not in names:
            return f"checkpoint {size} is not signed by the log key in force at that size"
        return None

    def checkpoint_problems(self, notes: Iterable[str], origin: str) -> list[str]:
        """Each checkpoint in ``notes`` not signed by the log key in force at its size."""
        return [
            f"log key: {problem}"
            for note in notes
            if (problem := self.log_note_problem(note, origin)) is not None
        ]

    def _rotate_event_key(self, leaf_index: int, rotation: Rotation) -> str | None:
        if rotation.outgoing != self.event_keyid:
            return (
                f"rotation retires {rotation.outgoing}, but the key in force is {self.event_keyid}"
            )
        incoming = rotation.incoming_keyid
        if incoming not in self.keyring.keys:
            return f"rotation brings in {incoming}, which is not a published event key"
        if incoming in self._retired or incoming == rotation.outgoing:
            return f"rotation brings back {incoming}, which was retired"
        self._retired[rotation.outgoing] = leaf_index
        self.event_keyid = incoming
        return None

    def _rotate_log_key(self, leaf_index: int, rotation: Rotation) -> str | None:
        if not self._log_keys:
            return None  # built without the log keys: only event-key windows are checked
        current = self._log_windows[-1][1] if self._log_windows else rotation.outgoing
        outgoing_key = self._log_keys.get(rotation.outgoing)
        if rotation.outgoing != current or outgoing_key is None:
            return (
                f"rotation retires log key {rotation.outgoing}, which is not the published "
                f"log key in force ({current})"
            )
        incoming = rotation.incoming_keyid
        if incoming not in self._log_keys or incoming in {k for _, k in self._log_windows}:
            return f"rotation brings in log key {incoming}, which is not a new published log key"
        members = {"incoming": _key_member(rotation.incoming), "outgoing": rotation.outgoing}
        try:
            outgoing_key.verify(
                rotation.endorsement or b"", _ENDORSEMENT_CONTEXT + canonical_json(members)
            )
        except InvalidSignature:
            return f"the outgoing log key {rotation.outgoing} did not endorse the rotation"
        if not self._log_windows:
            self._log_windows.append((0, rotation.outgoing))
        self._log_windows.append((leaf_index + 1, incoming))
        return None


def is_keys_aggregate(originator_id: UUID | str) -> bool:
    """True when ``originator_id`` names the key history aggregate, in any engine's spelling."""
    return originator_id in (KEYS_AGGREGATE_ID, KEYS_AGGREGATE_ID.hex, str(KEYS_AGGREGATE_ID))


def parse_state(stored: StoredEvent) -> Any:
    """The JSON state of an unsigned stored event (as the sealer sees it)."""
    return json.loads(stored.state)


def _key_member(public_key: Ed25519PublicKey) -> dict[str, str]:
    raw = public_key.public_bytes_raw()
    return {"keyid": keyid_of(public_key), "public_key": base64.b64encode(raw).decode("ascii")}


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationError(f"malformed key rotation: {what} is not a string")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise VerificationError(f"malformed key rotation: {what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != value:
        raise VerificationError(f"malformed key rotation: {what} is not canonical base64")
    return raw
