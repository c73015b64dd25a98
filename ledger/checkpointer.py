"""Cutting signed checkpoints of the transparency log (C2SP tlog-checkpoint in a signed note).

Before signing a new tree the checkpointer checks it against what was signed before: the
latest stored checkpoint must verify and be reproduced by the stored subtrees, the new tree
must be consistent with it (RFC 9162 section 2.1.4), and so must the published checkpoint kept
outside the database. If any check fails it signs nothing, logs a critical alarm on the
``govledger.alarm`` logger and raises ``InconsistentLogError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.errors import InconsistentLogError, LedgerError, VerificationError
from ledger.keys import Signer, keyid_of
from ledger.merkle import verify_consistency
from ledger.note import NoteVerifier, vkey_for
from ledger.publication import CheckpointFile
from ledger.tree_store import Cursor, StoredCheckpoint, TreeStore

__all__ = ["CheckpointPolicy", "Checkpointer", "cut_checkpoint_if_due"]

alarms = logging.getLogger("govledger.alarm")


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """Cut a checkpoint once this many leaves, or this many seconds, have passed."""

    every_leaves: int = 1000
    every_seconds: float = 10.0


class Checkpointer:
    """Signs checkpoints of one log, only ever consistent with the ones signed before."""

    def __init__(
        self,
        store: TreeStore,
        *,
        origin: str,
        signer: Callable[[], Signer],
        published: CheckpointFile | None = None,
        policy: CheckpointPolicy | None = None,
        log_keys: Callable[[], Iterable[Ed25519PublicKey]] | None = None,
    ) -> None:
        self.store = store
        self.origin = origin
        self._load_signer = signer
        self._log_keys = log_keys
        self._published = published
        self.policy = policy or CheckpointPolicy()
        self._pending = 0
        self._last_cut = time.monotonic()

    def appended(self, leaves: int) -> StoredCheckpoint | None:
        """Note ``leaves`` new leaves; cut a checkpoint if the policy says one is due."""
        self._pending += leaves
        overdue = time.monotonic() - self._last_cut >= self.policy.every_seconds
        if self._pending >= self.policy.every_leaves or (self._pending and overdue):
            return self.cut()
        return None

    def cut(self) -> StoredCheckpoint | None:
        """Sign the current tree if it grew; return the latest checkpoint (None if empty)."""
        with self.store.writing() as c:
            # Loaded under the write lock, so a log-key rotation committed before is followed.
            signer = self._load_signer()
            latest = self.store.latest_checkpoint(c)
            size = self.store.log_size(c)
            signed_size = latest.size if latest else 0
            if size < signed_size:
                raise self._alarm(
                    f"the log has {size} leaves but a checkpoint of {signed_size} was signed: "
                    "its tail was deleted or the database was rolled back"
                )
            if latest is not None:
                self._check_signed(c, latest, signer)
            if size == signed_size:
                self._check_published(c, size, signer)
                return latest
            root = self.store.extend(c, signed_size, size)
            if latest is not None:
                self._check_consistent(c, latest, size, root)
            self._check_published(c, size, signer)
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self.origin, signer)
            checkpoint = StoredCheckpoint(size=size, root=root, note=note)
            self.store.insert_checkpoint(c, checkpoint, datetime.now(UTC).isoformat())
        if self._published is not None:
            self._published.write(note)
        self._pending, self._last_cut = 0, time.monotonic()
        return checkpoint

    def _check_signed(self, c: Cursor, latest: StoredCheckpoint, signer: Signer) -> None:
        opened = self._open(latest.note, signer)
        if (opened.size, opened.root) != (latest.size, latest.root):
            raise self._alarm(f"stored checkpoint {latest.size} does not match its signed note")
        if self.store.root(c, latest.size) != latest.root:
            raise self._alarm(f"the stored tree no longer has the root signed at {latest.size}")

    def _check_consistent(
        self, c: Cursor, latest: StoredCheckpoint, size: int, root: bytes
    ) -> None:
        proof = self.store.consistency_proof(c, latest.size, size)
        try:
            verify_consistency(latest.size, size, latest.root, root, proof)
        except VerificationError as exc:
            raise self._alarm(
                f"tree of {size} is not consistent with checkpoint {latest.size}: {exc}"
            ) from exc

    def _check_published(self, c: Cursor, size: int, signer: Signer) -> None:
        note = self._published.read() if self._published is not None else None
        if note is None:
            return
        published = self._open(note, signer)
        if published.size > size:
            raise self._alarm(
                f"a checkpoint of {published.size} leaves was published but the log has {size}: "
                "the database was rolled back or truncated"
            )
        if self.store.root(c, published.size) != published.root:
            raise self._alarm(
                f"the log is not consistent with published checkpoint {published.size}"
            )

    def _open(self, note: str, signer: Signer) -> Checkpoint:
        # Checkpoints signed before a log-key rotation verify with the retired, published key.
        keys = {keyid_of(k): k for k in [signer.public_key, *(self._log_keys or tuple)()]}
        verifiers = [NoteVerifier.from_vkey(vkey_for(self.origin, k)) for k in keys.values()]
        try:
            return open_checkpoint(note, verifiers, self.origin)
        except VerificationError as exc:
            raise self._alarm(f"a signed checkpoint does not verify: {exc}") from exc

    @staticmethod
    def _alarm(message: str) -> InconsistentLogError:
        alarms.critical("refusing to sign a checkpoint: %s", message)
        return InconsistentLogError(message)


def cut_checkpoint_if_due(checkpointer: Checkpointer, appended: int) -> None:
    """After a commit: cut a checkpoint if one is due, never failing the committed append.

    A refusal is already logged as an alarm; the next ``govledger checkpoint`` or ``verify``
    reports it again.
    """
    try:
        checkpointer.appended(appended)
    except LedgerError as exc:
        alarms.error("automatic checkpoint failed after a committed append: %s", exc)
