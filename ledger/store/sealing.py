"""Sealing: turning a batch of unsigned stored events into signed events and log leaves.

Runs inside the write transaction, after the writer holds the store's write lock, so the
previous-event digests it reads cannot race another writer. Leaf indexes are assigned by the
recorder's INSERT, in the same transaction.

Before each batch the sealer looks at the event-signing key file (one ``stat``) and signs with
the key it holds now, so a process started before a rotation never signs with the retired key.
A key rotation (``ledger.keys.history``) is sealed alone, by the outgoing key, and the sealer
makes the staged incoming key current while the write lock is still held: the next writer, in
any process, signs with the incoming key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.encoding.dsse import EnvelopeSigner
from ledger.errors import StoreError, VerificationError
from ledger.keys.ed25519 import Signer
from ledger.keys.history import (
    EVENT_KEY_ROTATED,
    LOG_KEY_ROTATED,
    is_keys_aggregate,
    parse_rotation,
    parse_state,
)
from ledger.keys.keystore import EVENT_SIGNER, LOG, KeyStore
from ledger.merkle import leaf_hash
from ledger.store.signed_event import PAYLOAD_TYPE, envelope_digest, event_payload

__all__ = ["PreviousDigest", "SealedEvent", "Sealer"]

PreviousDigest = Callable[[UUID | str, int], str | None]
"""Return the digest of the committed envelope of (aggregate id, version), or None if absent."""


@dataclass(frozen=True, slots=True)
class SealedEvent:
    """A signed stored event, its envelope digest and its RFC 6962 leaf hash."""

    stored: StoredEvent
    digest: str
    leaf_hash: bytes


_ROTATIONS = {EVENT_KEY_ROTATED: EVENT_SIGNER, LOG_KEY_ROTATED: LOG}


class Sealer:
    """Signs events with the current key and chains each to its aggregate's previous event."""

    def __init__(self, signer: Callable[[], Signer], keys: KeyStore | None = None) -> None:
        self._load_signer = signer
        self._keys = keys
        self._signer: Signer | None = None
        self._envelope_signer: EnvelopeSigner | None = None

    def seal(
        self, events: Sequence[StoredEvent], *, previous_digest: PreviousDigest
    ) -> list[SealedEvent]:
        """Sign ``events`` in order; a batch may hold several events of one aggregate."""
        rotated = self._rotated_key(events)
        sealed = self._seal(events, previous_digest)
        if rotated is not None:
            assert self._keys is not None
            self._keys.activate(rotated)
        return sealed

    def _seal(
        self, events: Sequence[StoredEvent], previous_digest: PreviousDigest
    ) -> list[SealedEvent]:
        sign = self._signer_now().sign
        batch: dict[tuple[UUID | str, int], str] = {}
        sealed = []
        for event in events:
            envelope = sign(event_payload(event, self._prev(event, batch, previous_digest)))
            digest = envelope_digest(envelope)
            batch[(event.originator_id, event.originator_version)] = digest
            signed = StoredEvent(
                event.originator_id, event.originator_version, event.topic, envelope
            )
            sealed.append(SealedEvent(signed, digest, leaf_hash(envelope)))
        return sealed

    def _signer_now(self) -> EnvelopeSigner:
        signer = self._load_signer()
        if signer is not self._signer or self._envelope_signer is None:
            self._envelope_signer = EnvelopeSigner(signer, PAYLOAD_TYPE)
            self._signer = signer
        return self._envelope_signer

    def _rotated_key(self, events: Sequence[StoredEvent]) -> str | None:
        """The key a rotation in ``events`` retires (checked against the keys), or None."""
        names = [_ROTATIONS[e.topic] for e in events if e.topic in _ROTATIONS]
        if not names:
            return None
        name = names[0]
        (event,) = events if len(events) == 1 else (None,)
        if event is None or self._keys is None or not is_keys_aggregate(event.originator_id):
            raise StoreError("a key rotation is written alone, on the key history aggregate")
        try:
            rotation = parse_rotation(event.topic, parse_state(event))
        except (ValueError, VerificationError) as exc:
            raise StoreError(f"malformed key rotation: {exc}") from None
        current = self._load_signer() if name == EVENT_SIGNER else self._keys.signer(LOG)
        if rotation.outgoing != current.keyid:
            raise StoreError(
                f"the rotation retires {rotation.outgoing} but the current key is "
                f"{current.keyid}: another rotation came first"
            )
        if self._keys.staged(name).keyid != rotation.incoming_keyid:
            raise StoreError("the rotation names another key than the one staged")
        return name

    @staticmethod
    def _prev(
        event: StoredEvent,
        batch: dict[tuple[UUID | str, int], str],
        previous_digest: PreviousDigest,
    ) -> str | None:
        version = event.originator_version
        if version == 1:
            return None
        key = (event.originator_id, version - 1)
        digest = batch.get(key) or previous_digest(*key)
        if digest is None:
            raise StoreError(
                f"aggregate {event.originator_id} has no version {version - 1} to chain "
                f"version {version} to"
            )
        return digest
