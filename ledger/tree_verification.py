"""Full verification of the transparency log: recompute the tree, check every checkpoint.

Streams the leaf hashes in aligned blocks, hashing each block level by level, and compares the
recomputed root with every stored and every published checkpoint at its size. Each stored
checkpoint's signed note must verify with the log key and pinned origin, and each must be
consistent with the next (RFC 9162 section 2.1.4) through the stored subtrees that serve proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.compact_range import CompactRange, fold_right, subtree_keys
from ledger.errors import StoreError, VerificationError
from ledger.merkle import node_hash, verify_consistency
from ledger.note import NoteVerifier
from ledger.tree_store import StoredCheckpoint, TreeStore

__all__ = ["TreeReport", "verify_tree"]

_BLOCK_LEVEL = 16
_BLOCK = 1 << _BLOCK_LEVEL


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


def verify_tree(
    store: TreeStore,
    *,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    published: Sequence[str] = (),
) -> TreeReport:
    """Recompute the tree from the leaves and check it against every checkpoint."""
    report = TreeReport()
    with store.reading() as c:
        report.leaves = store.log_size(c)
        stored = store.checkpoints(c)
    targets: dict[int, list[tuple[str, bytes]]] = {}
    valid = _check_notes(stored, origin, verifiers, report, targets)
    for note in published:
        try:
            checkpoint = open_checkpoint(note, verifiers, origin)
        except VerificationError as exc:
            report.problems.append(f"published checkpoint: {exc}")
            continue
        targets.setdefault(checkpoint.size, []).append(
            (f"published checkpoint {checkpoint.size}", checkpoint.root)
        )
    for size in sorted(size for size in targets if size > report.leaves):
        report.problems.append(
            f"checkpoint of {size} leaves was signed but the log has {report.leaves}: "
            "its tail was deleted or the database was rolled back"
        )
    _recompute(store, report, targets)
    _check_consistency(store, valid, report)
    return report


def _check_notes(
    stored: list[StoredCheckpoint],
    origin: str,
    verifiers: Sequence[NoteVerifier],
    report: TreeReport,
    targets: dict[int, list[tuple[str, bytes]]],
) -> list[StoredCheckpoint]:
    valid = []
    for checkpoint in stored:
        report.checkpoints += 1
        try:
            signed: Checkpoint = open_checkpoint(checkpoint.note, verifiers, origin)
        except VerificationError as exc:
            report.problems.append(f"checkpoint {checkpoint.size}: {exc}")
            continue
        if (signed.size, signed.root) != (checkpoint.size, checkpoint.root):
            report.problems.append(
                f"checkpoint {checkpoint.size}: the stored size or root differs from its note"
            )
            continue
        targets.setdefault(signed.size, []).append((f"checkpoint {signed.size}", signed.root))
        valid.append(checkpoint)
    return valid


def _recompute(
    store: TreeStore, report: TreeReport, targets: dict[int, list[tuple[str, bytes]]]
) -> None:
    tree = CompactRange()
    for block_start in range(0, report.leaves, _BLOCK):
        with store.reading() as c:
            leaves = store.leaf_hashes(c, block_start, min(block_start + _BLOCK, report.leaves))
        levels = _levels(leaves)
        for size in sorted(s for s in targets if block_start < s <= block_start + len(leaves)):
            inside = [
                levels[level][index - (block_start >> level)]
                for level, index in subtree_keys(block_start, size)
            ]
            root = fold_right(tree.hashes() + inside)
            for label, signed_root in targets[size]:
                if root != signed_root:
                    report.problems.append(f"{label}: the log's leaves give another root")
        for level, index in subtree_keys(block_start, block_start + len(leaves)):
            tree.append_subtree(level, levels[level][index - (block_start >> level)])


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete subtree of an aligned block, level by level."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _check_consistency(store: TreeStore, valid: list[StoredCheckpoint], report: TreeReport) -> None:
    for older, newer in pairwise(valid):
        try:
            with store.reading() as c:
                proof = store.consistency_proof(c, older.size, newer.size)
            verify_consistency(older.size, newer.size, older.root, newer.root, proof)
        except (VerificationError, StoreError) as exc:
            report.problems.append(
                f"checkpoints {older.size} and {newer.size} are not consistent: {exc}"
            )
