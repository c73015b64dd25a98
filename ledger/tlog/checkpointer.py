"""Cutting signed checkpoints of the transparency log (C2SP tlog-checkpoint in a signed note).

Before signing a new tree the checkpointer checks, inside the transaction that stores it:

- the latest stored checkpoint's note verifies with the log key and names the row's size and
  root, and the stored subtree hashes still give that root;
- every new leaf is the RFC 6962 leaf hash of the envelope stored under the identity it names,
  and no leaf index is missing;
- with ``recheck`` (``govledger checkpoint``, not the cheap cut after appends): the root of the
  latest checkpoint and the new root are recomputed from every stored leaf, so an event inside
  the signed prefix rewritten with its leaf hash updated is refused, and the consistency proof
  from the stored subtrees is checked against roots computed from the leaves;
- the new tree is consistent with the latest checkpoint (RFC 9162 section 2.1.4) and with the
  published checkpoint kept outside the database.

What only ``verify`` checks: envelope signatures, chains and key windows, every stored subtree
hash, every older checkpoint row. The note carries the signing time as a tlog-cosignature by
the log key, and ``signed_at`` stores exactly that time. If any check fails it signs nothing,
logs a critical alarm on the ``govledger.alarm`` logger and raises ``InconsistentLogError``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import InconsistentLogError, LedgerError, VerificationError
from ledger.keys.ed25519 import Signer, keyid_of
from ledger.merkle import leaf_hash, verify_consistency
from ledger.tlog.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.tlog.note import NoteVerifier, vkey_for
from ledger.tlog.published_checkpoint import CheckpointFile
from ledger.tlog.tree_recompute import as_hash, recompute
from ledger.tlog.tree_store import Cursor, StoredCheckpoint, TreeStore

__all__ = ["CheckpointPolicy", "Checkpointer", "cut_checkpoint_if_due"]

alarms = logging.getLogger("govledger.alarm")
# A rotation settles its key files right after its commit: longer means it was interrupted.
_ROTATION_GRACE_SECONDS = 5.0

# Envelopes read per query when checking new leaves: bounded memory for a large first cut.
_ENVELOPE_BATCH = 1000


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
        log_key_rotating: Callable[[], bool] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.origin = origin
        self._load_signer = signer
        self._log_keys = log_keys
        self._log_key_rotating = log_key_rotating or (lambda: False)
        self._deferred_since: float | None = None
        self._published = published
        self.policy = policy or CheckpointPolicy()
        self._clock = clock
        self._pending = 0
        self._last_cut = time.monotonic()

    def appended(self, leaves: int) -> StoredCheckpoint | None:
        """Note ``leaves`` new leaves; cut a checkpoint if the policy says one is due."""
        self._pending += leaves
        overdue = time.monotonic() - self._last_cut >= self.policy.every_seconds
        if self._pending >= self.policy.every_leaves or (self._pending and overdue):
            # On the append path: the O(n) recomputation of the signed prefix is left to
            # `govledger checkpoint` and `verify`.
            return self.cut(recheck=False)
        return None

    def tick(self) -> StoredCheckpoint | None:
        """On a timer: cut, with ``recheck``, if leaves no checkpoint covers were appended.

        Appends by any process are signed this way even while every writer idles; an idle log
        costs two cheap reads per tick. Returns the new checkpoint, or None when none was due.
        """
        return self.cut() if self.behind() else None

    def behind(self) -> bool:
        """True when the log has leaves that no stored checkpoint covers (two cheap reads)."""
        with self.store.reading() as c:
            latest = self._latest(c)
            return self.store.log_size(c) > (latest.size if latest else 0)

    def cut(self, *, recheck: bool = True) -> StoredCheckpoint | None:
        """Check and sign the current tree if it grew; return the latest checkpoint (None if empty).

        ``recheck`` also recomputes the signed and the new root from every stored leaf (O(n)).
        Raises InconsistentLogError, logged as an alarm, when a check fails.
        """
        try:
            return self._cut(recheck=recheck)
        except _AlarmedError:
            raise
        except InconsistentLogError as exc:  # a malformed row the tree store refused to read
            raise self._alarm(str(exc)) from None

    def _cut(self, *, recheck: bool) -> StoredCheckpoint | None:
        with self.store.writing() as c:
            # Loaded under the write lock, so a log-key rotation committed before is followed.
            signer = self._load_signer()
            rotating = self._log_key_rotating()
            latest = self._latest(c)
            size = self.store.log_size(c)
            if rotating or self._log_key_rotating() or self._load_signer() is not signer:
                # Appends and cuts may hold different locks (PostgreSQL): while a log-key
                # rotation commits, which key may sign this size is unsettled; the next cut signs.
                self._defer()
                return latest
            self._deferred_since = None
            signed_size = latest.size if latest else 0
            if size < signed_size:
                raise self._alarm(
                    f"the log has {size} leaves but a checkpoint of {signed_size} was signed: "
                    "its tail was deleted or the database was rolled back"
                )
            if latest is not None:
                self._check_signed(c, latest, signer)
            self._check_nothing_beyond(c, signed_size)
            from_leaves = self._recompute(c, latest, size) if recheck else None
            if size == signed_size:
                self._check_published(c, size, signer, stored=signed_size)
                return latest
            self._check_envelopes(c, signed_size, size)
            root = self.store.extend(c, signed_size, size)
            if from_leaves is not None and from_leaves != root:
                raise self._alarm(f"the stored subtrees do not give the leaves' root at {size}")
            if latest is not None:
                self._check_consistent(c, latest, size, root)
            self._check_published(c, size, signer, stored=signed_size)
            checkpoint = self._sign_and_store(c, size, root, signer)
        if self._published is not None:
            try:
                self._published.write(checkpoint.note)
            except InconsistentLogError as exc:
                raise self._alarm(f"signed but not published: {exc}") from None
        self._pending, self._last_cut = 0, time.monotonic()
        return checkpoint

    def _sign_and_store(
        self, c: Cursor, size: int, root: bytes, signer: Signer
    ) -> StoredCheckpoint:
        """Sign the tree, cosigning it with the time (tlog-cosignature); store that as signed_at."""
        timestamp = int(self._clock())
        note = sign_checkpoint(
            Checkpoint(self.origin, size, root), self.origin, signer, timestamp=timestamp
        )
        checkpoint = StoredCheckpoint(size=size, root=root, note=note)
        self.store.insert_checkpoint(
            c, checkpoint, datetime.fromtimestamp(timestamp, UTC).isoformat()
        )
        return checkpoint

    def _defer(self) -> None:
        """Note a cut deferred by a log-key rotation; alarm only when it lasts (interrupted)."""
        now = time.monotonic()
        if self._deferred_since is None:
            self._deferred_since = now
        if now - self._deferred_since >= _ROTATION_GRACE_SECONDS:
            alarms.warning(
                "checkpoints deferred for %.0f s: a log-key rotation was interrupted; if no "
                "rotate-key is running, run `govledger rotate-key --repair`",
                now - self._deferred_since,
            )

    def _check_signed(self, c: Cursor, latest: StoredCheckpoint, signer: Signer) -> None:
        opened = self._open(latest.note, signer)
        if (opened.size, opened.root) != (latest.size, latest.root):
            raise self._alarm(f"stored checkpoint {latest.size} does not match its signed note")
        if self.store.root(c, latest.size) != latest.root:
            raise self._alarm(f"the stored tree no longer has the root signed at {latest.size}")

    def _latest(self, c: Cursor) -> StoredCheckpoint | None:
        try:
            return self.store.latest_checkpoint(c)
        except InconsistentLogError as exc:  # a malformed row
            raise self._alarm(str(exc)) from None

    def _recompute(self, c: Cursor, latest: StoredCheckpoint | None, size: int) -> bytes | None:
        """The root of ``size`` leaves from the stored leaves; the signed root must reappear."""
        sizes = {size, latest.size} if latest is not None else {size}
        result = recompute(self.store, size=size, roots_at=sizes, nodes_up_to=None, cursor=c)
        if result.problems:
            raise self._alarm(result.problems[0])
        if latest is not None and result.roots[latest.size] != latest.root:
            raise self._alarm(
                f"the log's leaves no longer give the root signed at {latest.size}: "
                "a checkpointed event was rewritten"
            )
        return result.roots.get(size)

    def _check_envelopes(self, c: Cursor, start: int, end: int) -> None:
        """Each new leaf must be the leaf hash of the envelope stored under its identity."""
        expected = start
        for first in range(start, end, _ENVELOPE_BATCH):
            for index, stored_hash, envelope in self.store.envelope_rows(
                c, first, min(first + _ENVELOPE_BATCH, end)
            ):
                if index != expected:
                    break
                if not isinstance(envelope, bytes | bytearray | memoryview):
                    raise self._alarm(f"leaf {index} names no stored event")
                if as_hash(stored_hash) != leaf_hash(bytes(envelope)):
                    raise self._alarm(f"leaf {index} is not the hash of its envelope")
                expected += 1
            if expected != min(first + _ENVELOPE_BATCH, end):
                raise self._alarm(f"leaf {expected} is missing: the log is not dense")

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

    def _check_nothing_beyond(self, c: Cursor, signed_size: int) -> None:
        """Subtrees are stored only up to a stored checkpoint: more shows a deleted row."""
        beyond = self.store.nodes_beyond(c, signed_size)
        if beyond:
            level, index = beyond[0]
            raise self._alarm(
                f"subtrees beyond the latest checkpoint ({signed_size} leaves) are stored, e.g. "
                f"level {level} index {index}: a checkpoint row was deleted or rows were forged"
            )

    def _check_published(self, c: Cursor, size: int, signer: Signer, *, stored: int) -> None:
        """The published checkpoint must be a stored one, and the log must still extend it.

        A checkpoint is published after its row commits, and rows commit under the lock this
        cut holds, so a published size beyond the latest stored ``stored`` was deleted.
        """
        note = self._published.read() if self._published is not None else None
        if note is None:
            return
        published = self._open(note, signer)
        if published.size > size:
            raise self._alarm(
                f"a checkpoint of {published.size} leaves was published but the log has {size}: "
                "the database was rolled back or truncated"
            )
        if published.size > stored:
            raise self._alarm(
                f"published checkpoint {published.size} is not stored (the latest stored is "
                f"{stored}): a checkpoint row was deleted"
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
        return _AlarmedError(message)


class _AlarmedError(InconsistentLogError):
    """An inconsistency already logged as an alarm."""


def cut_checkpoint_if_due(checkpointer: Checkpointer, appended: int) -> None:
    """After a commit: cut a checkpoint if one is due, never failing the committed append.

    A refusal is already logged as an alarm; the next ``govledger checkpoint`` or ``verify``
    reports it again.
    """
    try:
        checkpointer.appended(appended)
    except LedgerError as exc:
        alarms.error("automatic checkpoint failed after a committed append: %s", exc)
