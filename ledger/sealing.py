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

from ledger.errors import StoreError
from ledger.keys import Signer
from ledger.merkle import leaf_hash
from ledger.signed_event import envelope_digest, sign_event

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
        self._signer: Signer | None = None

    def seal(
        self, events: Sequence[StoredEvent], *, previous_digest: PreviousDigest
    ) -> list[SealedEvent]:
        """Sign ``events`` in order; a batch may hold several events of one aggregate."""
        signer = self._signer_now()
        batch: dict[tuple[UUID | str, int], str] = {}
        sealed = []
        for event in events:
            signed = sign_event(event, self._prev(event, batch, previous_digest), signer)
            digest = envelope_digest(signed.state)
            batch[(event.originator_id, event.originator_version)] = digest
            sealed.append(SealedEvent(signed, digest, leaf_hash(signed.state)))
        return sealed

    def _signer_now(self) -> Signer:
        if self._signer is None:
            self._signer = self._load_signer()
        return self._signer

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
