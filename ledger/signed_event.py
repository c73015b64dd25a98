"""The signed form of a stored event: a DSSE envelope over a canonical JSON payload.

The payload binds the aggregate id, version and topic of the row it is stored in, the event's
state, and ``prev``: the hex SHA-256 of the previous stored envelope of the same aggregate
(``null`` for version 1). The envelope bytes are stored verbatim; they are also the leaf of the
transparency log.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.canonical import json_string
from ledger.dsse import Envelope, EnvelopeSigner
from ledger.errors import VerificationError
from ledger.keys import Keyring, Signer

__all__ = [
    "PAYLOAD_TYPE",
    "EventPayload",
    "envelope_digest",
    "event_payload",
    "open_event",
    "sign_event",
]

PAYLOAD_TYPE = "application/vnd.govledger.event.v1+json"


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


def open_event(stored: StoredEvent, keyring: Keyring) -> EventPayload:
    """Verify a stored event's envelope and that it belongs to its row; return its payload."""
    envelope = Envelope.from_json(stored.state)
    keyid = envelope.verify(keyring, payload_type=PAYLOAD_TYPE)
    try:
        document = json.loads(envelope.payload)
        payload = EventPayload(
            aggregate_id=str(document["aggregate_id"]),
            version=int(document["version"]),
            topic=str(document["topic"]),
            state=document["state"],
            prev=document["prev"],
            keyid=keyid,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError(f"malformed event payload: {exc}") from exc
    row = (_id_text(stored.originator_id), stored.originator_version, stored.topic)
    signed = (payload.aggregate_id, payload.version, payload.topic)
    if row != signed:
        raise VerificationError(
            f"signed payload is for {_describe(signed)} but is stored as {_describe(row)}"
        )
    return payload


def _id_text(originator_id: UUID | str) -> str:
    return str(originator_id)


def _id_json(originator_id: UUID | str) -> bytes:
    if isinstance(originator_id, UUID):
        return b'"%s"' % str(originator_id).encode("ascii")  # hex digits and hyphens only
    return json_string(originator_id)


def _describe(identity: tuple[str, int, str]) -> str:
    aggregate_id, version, topic = identity
    return f"aggregate {aggregate_id} version {version} ({topic})"
