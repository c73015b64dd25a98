"""Sealing: turning a batch of unsigned stored events into signed events and log leaves.

Runs inside the write transaction, after the writer holds the store's write lock, so the
previous-event digests it reads and the leaf indexes it assigns cannot race another writer.
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

__all__ = ["SealedEvent", "Sealer", "StoredStateLookup"]

StoredStateLookup = Callable[[UUID | str, int], bytes | None]
"""Return the stored envelope of (aggregate id, version), or None when there is none."""


@dataclass(frozen=True, slots=True)
class SealedEvent:
    """A signed stored event with its position and hash in the transparency log."""

    stored: StoredEvent
    leaf_index: int
    leaf_hash: bytes


class Sealer:
    """Signs events, chains each to its aggregate's previous event and numbers the leaves."""

    def __init__(self, signer: Callable[[], Signer]) -> None:
        self._load_signer = signer
        self._signer: Signer | None = None

    def seal(
        self,
        events: Sequence[StoredEvent],
        *,
        stored_state: StoredStateLookup,
        next_leaf_index: int,
    ) -> list[SealedEvent]:
        """Sign ``events`` in order, giving them leaf indexes from ``next_leaf_index`` on."""
        signer = self._signer_now()
        batch_digests: dict[tuple[UUID | str, int], str] = {}
        sealed = []
        for offset, event in enumerate(events):
            prev = self._previous_digest(event, batch_digests, stored_state)
            signed = sign_event(event, prev, signer)
            batch_digests[(event.originator_id, event.originator_version)] = envelope_digest(
                signed.state
            )
            sealed.append(
                SealedEvent(
                    stored=signed,
                    leaf_index=next_leaf_index + offset,
                    leaf_hash=leaf_hash(signed.state),
                )
            )
        return sealed

    def _signer_now(self) -> Signer:
        if self._signer is None:
            self._signer = self._load_signer()
        return self._signer

    @staticmethod
    def _previous_digest(
        event: StoredEvent,
        batch_digests: dict[tuple[UUID | str, int], str],
        stored_state: StoredStateLookup,
    ) -> str | None:
        version = event.originator_version
        if version == 1:
            return None
        key = (event.originator_id, version - 1)
        if key in batch_digests:
            return batch_digests[key]
        previous = stored_state(event.originator_id, version - 1)
        if previous is None:
            raise StoreError(
                f"aggregate {event.originator_id} has no version {version - 1} to chain "
                f"version {version} to"
            )
        return envelope_digest(previous)
