"""Sealing: turning a batch of unsigned stored events into signed events and log leaves.

Runs inside the write transaction, after the writer holds the store's write lock, so the
previous-event digests it reads cannot race another writer. Leaf indexes are assigned by the
recorder's INSERT, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.dsse import EnvelopeSigner
from ledger.errors import StoreError
from ledger.keys import Signer
from ledger.merkle import leaf_hash
from ledger.signed_event import PAYLOAD_TYPE, envelope_digest, event_payload

__all__ = ["PreviousDigest", "SealedEvent", "Sealer"]

PreviousDigest = Callable[[UUID | str, int], str | None]
"""Return the digest of the committed envelope of (aggregate id, version), or None if absent."""


@dataclass(frozen=True, slots=True)
class SealedEvent:
    """A signed stored event, its envelope digest and its RFC 6962 leaf hash."""

    stored: StoredEvent
    digest: str
    leaf_hash: bytes


class Sealer:
    """Signs events and chains each to its aggregate's previous event."""

    def __init__(self, signer: Callable[[], Signer]) -> None:
        self._load_signer = signer
        self._envelope_signer: EnvelopeSigner | None = None

    def seal(
        self, events: Sequence[StoredEvent], *, previous_digest: PreviousDigest
    ) -> list[SealedEvent]:
        """Sign ``events`` in order; a batch may hold several events of one aggregate."""
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
        if self._envelope_signer is None:
            self._envelope_signer = EnvelopeSigner(self._load_signer(), PAYLOAD_TYPE)
        return self._envelope_signer

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
