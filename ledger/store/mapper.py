"""The mapper between domain events and signed stored events.

Writing, it encodes an event's state as canonical JSON; the recorder signs it inside the write
transaction (see ``ledger.store.sealing``). Reading, it opens each row with ``open_event``, the one
strict reading path ``verify_store`` uses too: a row that is not exactly what the sealer wrote,
signed by a trusted key, never becomes a domain event. It remembers each opened envelope's
digest for the next event to chain to.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    StoredEvent,
    Transcoder,
)

from ledger.encoding.canonical import canonical_json_text
from ledger.errors import VerificationError
from ledger.keys.ed25519 import Keyring
from ledger.store.digest_cache import DigestCache
from ledger.store.signed_event import EventPayload, envelope_digest, open_event

__all__ = ["SignedEventMapper"]


class SignedEventMapper(Mapper[UUID]):
    """Maps events to canonical JSON state and verifies signed envelopes on every read."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        *,
        keyring: Callable[[], Keyring] | None = None,
        digests: DigestCache | None = None,
    ) -> None:
        if compressor is not None or cipher is not None:
            raise ValueError("signed events are stored as plain canonical JSON")
        super().__init__(transcoder)
        self._load_keyring = keyring
        self._keyring: Keyring | None = None
        self._digests = digests

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode the event's state as canonical JSON bytes, ready for sealing."""
        stored = super().to_stored_event(domain_event)
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=canonical_json_text(stored.state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Open the stored event strictly (``open_event``), then decode its signed state.

        ``verify_store`` opens every row with the same function, so a row the application
        accepts is one verification accepts, and the other way round.
        """
        try:
            payload = open_event(stored_event, self._keyring_now())
        except VerificationError as exc:
            raise VerificationError(
                f"event {stored_event.originator_id} version "
                f"{stored_event.originator_version} failed verification: {exc}"
            ) from exc
        if self._digests is not None:
            self._digests.remember(
                UUID(payload.aggregate_id), payload.version, envelope_digest(stored_event.state)
            )
        return self.decode_payload(payload)

    def decode_payload(self, payload: EventPayload) -> DomainEventProtocol[UUID]:
        """The domain event of a payload ``open_event`` (or a checker built on it) accepted."""
        unsigned = StoredEvent(
            originator_id=UUID(payload.aggregate_id),
            originator_version=payload.version,
            topic=payload.topic,
            state=json.dumps(payload.state).encode("utf-8"),
        )
        return super().to_domain_event(unsigned)

    def _keyring_now(self) -> Keyring:
        if self._keyring is None:
            if self._load_keyring is None:
                raise VerificationError("no keyring configured to verify events with")
            self._keyring = self._load_keyring()
        return self._keyring
