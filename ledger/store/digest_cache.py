"""A bounded, thread-safe memory of committed envelopes' digests.

Stored envelopes are immutable (the tables are append-only), so once an envelope is known to
be committed its digest can be remembered for good. The recorder remembers what it committed
and the mapper what it read and verified; the sealer then rarely has to read the previous
event of an aggregate back from the database to chain to it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from uuid import UUID

from ledger.store.sealing import SealedEvent

__all__ = ["DigestCache"]


class DigestCache:
    """Digests of committed envelopes by (aggregate id, version), least recently used evicted."""

    def __init__(self, maxsize: int = 100_000) -> None:
        self._maxsize = maxsize
        self._digests: OrderedDict[tuple[UUID | str, int], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: UUID | str, version: int) -> str | None:
        """The digest of a committed envelope, or None when it is not remembered."""
        key = (aggregate_id, version)
        with self._lock:
            digest = self._digests.get(key)
            if digest is not None:
                self._digests.move_to_end(key)
        return digest

    def remember_sealed(self, committed: Iterable[SealedEvent]) -> None:
        """Remember the digests of sealed events once their transaction has committed."""
        for event in committed:
            self.remember(event.stored.originator_id, event.stored.originator_version, event.digest)

    def remember(self, aggregate_id: UUID | str, version: int, digest: str) -> None:
        """Remember the digest of an envelope that is committed."""
        with self._lock:
            self._digests[(aggregate_id, version)] = digest
            self._digests.move_to_end((aggregate_id, version))
            if len(self._digests) > self._maxsize:
                self._digests.popitem(last=False)
