"""Full verification of the transparency log: recompute the tree, check everything stored about it.

Recomputes the tree from the leaves (``ledger.tlog.tree_recompute``), checking every stored subtree
hash on the way, and compares the recomputed root with every stored and every published
checkpoint at its size. Each stored checkpoint row must be well formed; its signed note must
verify with the log key and pinned origin and name the row's size and root; its ``signed_at``
must be the time the log key cosigned (https://c2sp.org/tlog-cosignature), so no unsigned time
is shown as a fact; and each must be consistent with the next (RFC 9162 section 2.1.4) through
the stored subtrees that serve proofs. Every published or held checkpoint must be one of the
stored rows: a deleted checkpoint row is found by the copies kept outside the database.
``verify_tree`` never raises: anything wrong, a failing store included, is a reported problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from ledger.errors import StoreError, VerificationError
from ledger.merkle import verify_consistency
from ledger.tlog.checkpoint import Checkpoint, checkpoint_time, open_checkpoint
from ledger.tlog.note import NoteVerifier
from ledger.tlog.tree_recompute import DEFAULT_BLOCK_SIZE, Recomputation, as_hash, recompute
from ledger.tlog.tree_store import StoredCheckpoint, TreeStore

__all__ = ["TreeReport", "verify_tree"]


@dataclass
class TreeReport:
    """The outcome of verifying the log's tree and checkpoints."""

    leaves: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


@dataclass
class _Signed:
    """Checkpoint roots to compare with the recomputed tree, by size, with their labels."""

    targets: dict[int, list[tuple[str, bytes]]] = field(default_factory=dict)

    def add(self, label: str, size: int, root: bytes) -> None:
        self.targets.setdefault(size, []).append((label, root))


def verify_tree(
    store: TreeStore,
    *,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    published: Sequence[str] = (),
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> TreeReport:
    """Recompute the tree from the leaves and check it against everything stored about it.

    ``published`` are checkpoint notes kept outside the database, read before this call (a
    checkpoint is stored before it is published, so each must be among the stored rows).
    """
    report = TreeReport()
    try:
        _verify(store, origin, verifiers, published=published, block_size=block_size, report=report)
    except Exception as exc:
        report.problems.append(f"verification stopped: {type(exc).__name__}: {exc}")
    return report


def _verify(
    store: TreeStore,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    *,
    published: Sequence[str],
    block_size: int,
    report: TreeReport,
) -> None:
    with store.reading() as c:
        report.leaves = store.log_size(c)
        rows = store.checkpoint_rows(c)
    report.checkpoints = len(rows)
    signed = _Signed()
    stored = _stored_checkpoints(rows, report)
    valid = [
        cp
        for cp, signed_at in stored
        if _check_note(
            cp, signed_at, origin=origin, verifiers=verifiers, signed=signed, report=report
        )
    ]
    _check_published(
        published, valid, origin=origin, verifiers=verifiers, signed=signed, report=report
    )
    for size in sorted(size for size in signed.targets if size > report.leaves):
        report.problems.append(
            f"checkpoint of {size} leaves was signed but the log has {report.leaves}: "
            "its tail was deleted or the database was rolled back"
        )
    newest = max((cp.size for cp, _ in stored), default=0)
    result = recompute(
        store,
        size=report.leaves,
        roots_at=signed.targets.keys(),
        nodes_up_to=min(newest, report.leaves),
        block_size=block_size,
    )
    report.problems.extend(result.problems)
    _compare_roots(signed, result, report)
    _check_consistency(store, valid, report)


def _compare_roots(signed: _Signed, result: Recomputation, report: TreeReport) -> None:
    """Each signed root must be the recomputed one at its size, where the leaves give one."""
    for size in sorted(signed.targets):
        root = result.roots.get(size)
        if root is None:
            if size <= report.leaves:  # past the log: reported as a deleted tail
                report.problems.append(
                    f"checkpoint {size} cannot be checked: leaf {result.stopped_at} is "
                    f"{result.stop_reason}"
                )
            continue
        for label, signed_root in signed.targets[size]:
            if root != signed_root:
                report.problems.append(f"{label}: the log's leaves give another root")


def _stored_checkpoints(
    rows: list[tuple[Any, Any, Any, Any]], report: TreeReport
) -> list[tuple[StoredCheckpoint, Any]]:
    """The well-formed checkpoint rows with their ``signed_at``; the others are problems."""
    stored = []
    for size, root_hash, note, signed_at in rows:
        if not isinstance(size, int) or isinstance(size, bool):
            report.problems.append(f"checkpoint row {size!r}: tree_size is not an integer")
            continue
        root = as_hash(root_hash)
        if root is None:
            report.problems.append(f"checkpoint row {size}: root_hash is not 32 bytes")
        elif not isinstance(note, str):
            report.problems.append(f"checkpoint row {size}: note is not text")
        else:
            stored.append((StoredCheckpoint(size=size, root=root, note=note), signed_at))
    return stored


def _check_note(
    checkpoint: StoredCheckpoint,
    signed_at: Any,
    *,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    signed: _Signed,
    report: TreeReport,
) -> bool:
    """Check one stored row against its signed note; True when its root is a signed one."""
    label = f"checkpoint {checkpoint.size}"
    try:
        opened: Checkpoint = open_checkpoint(checkpoint.note, verifiers, origin)
        timestamp = checkpoint_time(checkpoint.note, verifiers)
    except VerificationError as exc:
        report.problems.append(f"{label}: {exc}")
        return False
    if (opened.size, opened.root) != (checkpoint.size, checkpoint.root):
        report.problems.append(f"{label}: the stored size or root differs from its note")
        return False
    if problem := _time_problem(signed_at, timestamp):
        report.problems.append(f"{label}: {problem}")
    signed.add(label, opened.size, opened.root)
    return True


def _time_problem(signed_at: Any, timestamp: int | None) -> str | None:
    """Why ``signed_at`` is not the time the log key signed, or None when it is."""
    if timestamp is None:
        return "its note carries no time signed by the log key"
    moment = signed_at
    if isinstance(signed_at, str):
        try:
            moment = datetime.fromisoformat(signed_at)
        except ValueError:
            moment = None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return f"signed_at {signed_at!r} is not a time with an offset"
    signed = datetime.fromtimestamp(timestamp, UTC)
    if moment != signed:
        return (
            f"signed_at {moment.isoformat()} is not the time the log key signed "
            f"({signed.isoformat()})"
        )
    return None


def _check_published(
    published: Sequence[str],
    valid: list[StoredCheckpoint],
    *,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    signed: _Signed,
    report: TreeReport,
) -> None:
    """Each checkpoint held outside the database must verify and be one of the stored rows."""
    stored = {cp.size: cp.root for cp in valid}
    for note in published:
        try:
            checkpoint = open_checkpoint(note, verifiers, origin)
        except VerificationError as exc:
            report.problems.append(f"published checkpoint: {exc}")
            continue
        label = f"published checkpoint {checkpoint.size}"
        signed.add(label, checkpoint.size, checkpoint.root)
        if checkpoint.size > report.leaves:
            continue  # reported as a rolled-back log
        if checkpoint.size not in stored:
            report.problems.append(
                f"{label} is not in ledger_checkpoints: a checkpoint row was deleted"
            )
        elif stored[checkpoint.size] != checkpoint.root:
            report.problems.append(f"{label} has another root than the stored one: a split view")


def _check_consistency(store: TreeStore, valid: list[StoredCheckpoint], report: TreeReport) -> None:
    for older, newer in pairwise(valid):
        try:
            with store.reading() as c:
                proof = store.consistency_proof(c, older.size, newer.size)
            verify_consistency(older.size, newer.size, older.root, newer.root, proof)
        except (VerificationError, StoreError, TypeError, ValueError) as exc:
            # A malformed row on the proof's path is already reported; this names its effect.
            report.problems.append(
                f"checkpoints {older.size} and {newer.size} are not consistent: {exc}"
            )
