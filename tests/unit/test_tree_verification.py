"""verify_tree against an in-memory tree store (no database)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from ledger import tree_verification
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.keys import Signer
from ledger.merkle import consistency_proof, leaf_hash, root_hash
from ledger.note import NoteVerifier, vkey_for
from ledger.tree_store import StoredCheckpoint

ORIGIN = "test.example/log"


class MemoryTree:
    """The parts of TreeStore that verify_tree reads, over lists."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves = leaves
        self.stored: list[StoredCheckpoint] = []

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        yield None

    def log_size(self, _: None) -> int:
        return len(self.leaves)

    def leaf_hashes(self, _: None, start: int, end: int) -> list[bytes]:
        return self.leaves[start:end]

    def checkpoints(self, _: None) -> list[StoredCheckpoint]:
        return self.stored

    def consistency_proof(self, _: None, old: int, new: int) -> list[bytes]:
        return consistency_proof(self.leaves[:new], old)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 8 leaves, so checkpoints fall inside, at the edge of and across blocks."""
    monkeypatch.setattr(tree_verification, "_BLOCK", 8)


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def sign(signer: Signer, size: int, root: bytes) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, signer)


def tree_with_checkpoints(signer: Signer, total: int, sizes: list[int]) -> MemoryTree:
    tree = MemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(total)])
    for size in sizes:
        root = root_hash(tree.leaves[:size])
        tree.stored.append(StoredCheckpoint(size, root, sign(signer, size, root)))
    return tree


def verify(tree: MemoryTree, signer: Signer, *published: str) -> tree_verification.TreeReport:
    verifier = NoteVerifier.from_vkey(vkey_for(ORIGIN, signer.public_key))
    return tree_verification.verify_tree(
        tree,  # type: ignore[arg-type]
        origin=ORIGIN,
        verifiers=[verifier],
        published=published,
    )


def test_an_intact_tree_verifies_at_checkpoints_inside_and_at_block_edges(signer: Signer) -> None:
    tree = tree_with_checkpoints(signer, 37, [1, 5, 8, 9, 16, 30, 37])

    report = verify(tree, signer, sign(signer, 37, root_hash(tree.leaves)))

    assert report.intact, report.problems
    assert (report.leaves, report.checkpoints) == (37, 7)


def test_reports_a_changed_leaf_at_every_checkpoint_that_covers_it(signer: Signer) -> None:
    tree = tree_with_checkpoints(signer, 20, [4, 12, 20])
    tree.leaves[6] = leaf_hash(b"rewritten")

    report = verify(tree, signer)

    assert "checkpoint 12: the log's leaves give another root" in report.problems
    assert "checkpoint 20: the log's leaves give another root" in report.problems
    assert not any(p.startswith("checkpoint 4:") for p in report.problems)


def test_reports_a_checkpoint_signed_by_another_key(signer: Signer) -> None:
    tree = tree_with_checkpoints(Signer.generate(), 10, [10])

    report = verify(tree, signer)

    assert report.problems[0].startswith("checkpoint 10: note has no signature by a known key")


def test_reports_a_stored_root_that_differs_from_its_note(signer: Signer) -> None:
    tree = tree_with_checkpoints(signer, 10, [10])
    stored = tree.stored[0]
    tree.stored[0] = StoredCheckpoint(stored.size, b"\x00" * 32, stored.note)

    report = verify(tree, signer)

    assert report.problems == ["checkpoint 10: the stored size or root differs from its note"]


def test_reports_a_published_checkpoint_beyond_the_log(signer: Signer) -> None:
    tree = tree_with_checkpoints(signer, 10, [10])

    report = verify(tree, signer, sign(signer, 12, b"\x01" * 32))

    assert report.problems == [
        "checkpoint of 12 leaves was signed but the log has 10: its tail was deleted or the "
        "database was rolled back"
    ]
