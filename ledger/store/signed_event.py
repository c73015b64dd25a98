"""The signed form of a stored event: a DSSE envelope over a canonical JSON payload.

The payload binds the aggregate id, version and topic of the row it is stored in, the event's
state, and ``prev``: the hex SHA-256 of the previous stored envelope of the same aggregate
(``null`` for version 1). The envelope bytes are stored verbatim; they are also the leaf of the
transparency log.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.encoding.canonical import canonical_json_text, json_string
from ledger.encoding.dsse import Envelope, EnvelopeSigner, SignatureVerifier
from ledger.errors import CanonicalizationError, VerificationError
from ledger.keys.ed25519 import Signer

__all__ = [
    "PAYLOAD_TYPE",
    "EventPayload",
    "envelope_digest",
    "event_payload",
    "open_event",
    "sign_event",
    "stored_aggregate_id",
    "stored_version",
]

PAYLOAD_TYPE = "application/vnd.govledger.event.v1+json"

_PAYLOAD_MEMBERS = frozenset({"aggregate_id", "prev", "state", "topic", "version"})
_STORED_HEX_ID = re.compile(r"[0-9a-f]{32}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def envelope_digest(envelope_bytes: bytes) -> str:
    """Return the hex SHA-256 of stored envelope bytes: the value the next event's prev holds."""
    return hashlib.sha256(envelope_bytes).hexdigest()


@dataclass(frozen=True, slots=True)
class EventPayload:
    """The signed statement about one event, and the key that signed it."""

    aggregate_id: str
    version: int
    topic: str
    state: Any
    prev: str | None
    keyid: str


def event_payload(stored: StoredEvent, prev: str | None) -> bytes:
    """Return the canonical JSON payload that signs ``stored`` and chains it to ``prev``.

    ``stored.state`` must be canonical JSON (``SignedEventMapper`` writes it so); it is placed
    in the payload verbatim, which keeps the payload canonical without re-encoding it.
    """
    return b'{"aggregate_id":%s,"prev":%s,"state":%s,"topic":%s,"version":%d}' % (
        _id_json(stored.originator_id),
        b"null" if prev is None else json_string(prev),
        stored.state,
        json_string(stored.topic),
        stored.originator_version,
    )


def sign_event(stored: StoredEvent, prev: str | None, signer: Signer) -> StoredEvent:
    """Return ``stored`` with its state replaced by the signed envelope bytes."""
    envelope = EnvelopeSigner(signer, PAYLOAD_TYPE).sign(event_payload(stored, prev))
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=envelope,
    )


def open_event(stored: StoredEvent, keyring: SignatureVerifier) -> EventPayload:
    """Accept a stored event only in exactly the form the sealer writes; return its payload.

    This is the one reading path: the mapper (the application) and ``verify_store`` both call
    it, so they cannot disagree. Raises VerificationError, naming the first thing wrong, unless
    the row's columns have the types and spelling the application writes and reads by, the
    state is the canonical JSON of a DSSE envelope with exactly one signature by a key
    ``keyring`` trusts, and its payload is the canonical JSON of its five members, with their
    types, signed for this very row.
    """
    row = (
        stored_aggregate_id(stored.originator_id),
        stored_version(stored.originator_version),
        _stored_topic(stored.topic),
    )
    state = stored.state
    if not isinstance(state, bytes):
        raise VerificationError(f"state is {type(state).__name__}, not bytes")
    envelope = Envelope.from_json(state)
    if len(envelope.signatures) != 1:
        raise VerificationError(
            f"envelope carries {len(envelope.signatures)} signatures; a stored event has one"
        )
    keyid = envelope.verify(keyring, payload_type=PAYLOAD_TYPE)
    # Checked after the signature, so a tampered and re-encoded envelope is reported as such.
    if envelope.to_json() != state:
        raise VerificationError(
            "envelope is not in its canonical form: the stored bytes are not the canonical "
            "JSON the sealer writes"
        )
    payload = _signed_payload(envelope.payload, keyid)
    signed = (payload.aggregate_id, payload.version, payload.topic)
    if row != signed:
        raise VerificationError(
            f"signed payload is for {_describe(signed)} but is stored as {_describe(row)}"
        )
    return payload


def stored_aggregate_id(originator_id: object) -> str:
    """Return a stored row's aggregate id as canonical UUID text; refuse any other spelling.

    A row's id is a ``UUID`` (PostgreSQL's uuid column) or 32 lowercase hex digits (SQLite's
    text column, as the application writes and queries it). A row spelt any other way is
    invisible to the application, which reads by that exact text, so it must not verify.
    """
    if isinstance(originator_id, UUID):
        return str(originator_id)
    if isinstance(originator_id, str) and _STORED_HEX_ID.fullmatch(originator_id):
        return str(UUID(hex=originator_id))
    raise VerificationError(
        f"stored aggregate id {originator_id!r} is not in the spelling the application reads "
        "by (a UUID as 32 lowercase hex digits)"
    )


def stored_version(originator_version: object) -> int:
    """Return a stored row's version; refuse anything but a positive int (SQLite stores any)."""
    if type(originator_version) is int and originator_version >= 1:
        return originator_version
    raise VerificationError(f"originator_version {originator_version!r} is not a positive integer")


def _stored_topic(topic: object) -> str:
    """A topic is printable text: it is shown in reports, and ours are module:qualname."""
    if not isinstance(topic, str):
        raise VerificationError(f"topic {topic!r} is not text")
    try:
        topic.encode("utf-8")
    except UnicodeEncodeError:
        raise VerificationError(f"topic {topic!r} is not valid UTF-8") from None
    if not topic.isprintable():
        raise VerificationError(f"topic {topic!r} is not printable text")
    return topic


def _signed_payload(payload: bytes, keyid: str) -> EventPayload:
    """Parse a signed payload that must be the canonical JSON of exactly its five members."""
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        raise VerificationError("malformed event payload: not JSON") from None
    if not isinstance(document, dict) or document.keys() != _PAYLOAD_MEMBERS:
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise VerificationError(f"payload members are {found}, expected {sorted(_PAYLOAD_MEMBERS)}")
    aggregate_id, version, topic, prev = (
        document["aggregate_id"],
        document["version"],
        document["topic"],
        document["prev"],
    )
    if not (isinstance(aggregate_id, str) and _is_canonical_uuid(aggregate_id)):
        raise VerificationError(
            f"payload aggregate_id is not a UUID in its canonical spelling: {aggregate_id!r}"
        )
    if type(version) is not int or version < 1:
        raise VerificationError(f"payload version is not a positive integer: {version!r}")
    if not (isinstance(topic, str) and topic.isprintable()):
        raise VerificationError(f"payload topic is not a printable string: {topic!r}")
    if prev is not None and not (isinstance(prev, str) and _DIGEST.fullmatch(prev)):
        raise VerificationError(
            f"payload prev is neither null nor 64 lowercase hex digits: {prev!r}"
        )
    if not isinstance(document["state"], dict):
        raise VerificationError("payload state is not a JSON object")
    try:
        canonical = canonical_json_text(payload) == payload
    except CanonicalizationError:
        canonical = False
    if not canonical:
        raise VerificationError("payload is not canonical JSON (RFC 8785)")
    return EventPayload(aggregate_id, version, topic, document["state"], prev, keyid)


def _is_canonical_uuid(text: str) -> bool:
    try:
        return str(UUID(text)) == text
    except ValueError:
        return False


def _id_json(originator_id: UUID | str) -> bytes:
    if isinstance(originator_id, UUID):
        return b'"%s"' % str(originator_id).encode("ascii")  # hex digits and hyphens only
    return json_string(originator_id)


def _describe(identity: tuple[str, int, str]) -> str:
    aggregate_id, version, topic = identity
    return f"aggregate {aggregate_id} version {version} ({topic})"
