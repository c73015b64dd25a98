"""verify_tree against an in-memory tree store (no database)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.errors import StoreError
from ledger.keys.ed25519 import Signer
from ledger.merkle import consistency_ranges, leaf_hash, root_hash
from ledger.tlog.checkpoint import Checkpoint, sign_checkpoint
from ledger.tlog.compact_range import CompactRange, fold_right, subtree_keys
from ledger.tlog.note import NoteVerifier, vkey_for
from ledger.tlog.tree_store import StoredCheckpoint
from ledger.verify import tree as tree_verification

ORIGIN = "test.example/log"
TIME = 1_790_000_000


class MemoryTree:
    """The parts of TreeStore that verify_tree reads, over lists, rows as a database holds them."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.leaves: dict[int, Any] = dict(enumerate(leaves))
        self.nodes: dict[tuple[int, int], Any] = {}
        self.stored: list[StoredCheckpoint] = []
        self.times: dict[int, Any] = {}

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        yield None

    def log_size(self, _: None) -> int:
        return max(self.leaves, default=-1) + 1

    def leaf_rows(self, _: None, start: int, end: int) -> list[tuple[Any, Any]]:
        return [(i, self.leaves[i]) for i in sorted(self.leaves) if start <= i < end]

    def node_rows(self, _: None, level: int, start: int, end: int | None) -> list[tuple[Any, Any]]:
        return sorted(
            (i, value)
            for (lv, i), value in self.nodes.items()
            if lv == level and start <= i and (end is None or i < end)
        )

    def nodes_beyond(self, _: None, size: int) -> list[tuple[int, Any]]:
        return sorted((lv, i) for lv, i in self.nodes if (i + 1) << lv > size)

    def node_digest(self, _: None, level: int, start: int, end: int) -> None:
        return None  # as on SQLite: the rows are compared one by one

    def max_node_level(self, _: None) -> int:
        return max((level for level, _ in self.nodes), default=0)

    def checkpoint_rows(self, _: None) -> list[tuple[Any, Any, Any, Any]]:
        return [(cp.size, cp.root, cp.note, self.times.get(cp.size)) for cp in self.stored]

    def consistency_proof(self, _: None, old: int, new: int) -> list[bytes]:
        """From the stored subtrees, as TreeStore serves it."""
        stored = {**{(0, i): leaf for i, leaf in self.leaves.items()}, **self.nodes}
        try:
            return [
                fold_right([stored[key] for key in subtree_keys(start, end)])
                for start, end in consistency_ranges(old, new)
            ]
        except KeyError as missing:
            raise StoreError(f"subtree {missing} is not stored") from None

    def index(self, size: int) -> None:
        """Store every complete subtree above the leaves of ``[0, size)``, as a cut does."""
        tree = CompactRange()
        for i in range(size):
            for key, value in tree.append(self.leaves[i]):
                self.nodes[key] = value


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


def sign(signer: Signer, size: int, root: bytes) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, signer)


def sign_at(signer: Signer, size: int, root: bytes, timestamp: int = TIME) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, signer, timestamp=timestamp)


def tree_with_checkpoints(signer: Signer, total: int, sizes: list[int]) -> MemoryTree:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(total)]
    tree = MemoryTree(leaves)
    for size in sizes:
        root = root_hash(leaves[:size])
        tree.stored.append(StoredCheckpoint(size, root, sign_at(signer, size, root)))
        tree.times[size] = datetime.fromtimestamp(TIME, UTC).isoformat()
    if sizes:
        tree.index(max(sizes))
    return tree


def verify(
    tree: MemoryTree, signer: Signer, *published: str, block_size: int = 8
) -> tree_verification.TreeReport:
    """Blocks of 8 leaves by default, so checkpoints fall inside, at the edge of and across them."""
    verifier = NoteVerifier.from_vkey(vkey_for(ORIGIN, signer.public_key))
    return tree_verification.verify_tree(
        tree,  # type: ignore[arg-type]
        origin=ORIGIN,
        verifiers=[verifier],
        published=published,
        block_size=block_size,
    )


def test_an_intact_tree_verifies_at_checkpoints_inside_and_at_block_edges(signer: Signer) -> None:
    tree = tree_with_checkpoints(signer, 37, [1, 5, 8, 9, 16, 30, 37])

    report = verify(tree, signer, sign(signer, 37, root_hash(list(tree.leaves.values()))))

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


# Finding 3: stored subtree hashes and checkpoint rows.


@pytest.mark.parametrize("block_size", [1, 2, 8, 64])
def test_finding_3_every_stored_subtree_hash_is_checked_whatever_the_block_size(
    signer: Signer, block_size: int
) -> None:
    """Finding 3: a changed node at any level, inside or above a block, is reported."""
    tree = tree_with_checkpoints(signer, 37, [5, 37])
    for key in [(1, 3), (3, 1), (5, 0)]:
        tree.nodes[key] = b"\x09" * 32

    report = verify(tree, signer, block_size=block_size)

    assert report.problems[:3] == [
        f"stored subtree hash (level {level}, index {index}) over leaves "
        f"[{index << level}, {(index + 1) << level}) differs from the hash of its leaves"
        for level, index in [(1, 3), (3, 1), (5, 0)]
    ]
    # The proof from 5 to 37 is served from the changed subtrees, so it fails too.
    assert report.problems[3:] == [report.problems[3]]
    assert report.problems[3].startswith("checkpoints 5 and 37 are not consistent")


def test_finding_3_missing_and_extra_subtree_rows_are_reported(signer: Signer) -> None:
    """Finding 3: a deleted node row, and one beyond the newest checkpoint, are reported."""
    tree = tree_with_checkpoints(signer, 20, [12])
    del tree.nodes[(2, 2)]
    tree.nodes[(2, 3)] = b"\x01" * 32

    report = verify(tree, signer)

    assert report.problems == [
        "stored subtree (level 2, index 2) over leaves [8, 12) is missing: proofs up to "
        "checkpoint 12 cannot be served",
        "stored subtree (level 2, index 3) over leaves [12, 16) lies beyond the latest stored "
        "checkpoint (12 leaves): a checkpoint row was deleted or the row was forged",
    ]


def test_finding_3_a_signed_checkpoint_missing_from_the_table_is_reported(signer: Signer) -> None:
    """Finding 3: a checkpoint row deleted while an auditor or the published file holds it."""
    tree = tree_with_checkpoints(signer, 20, [12, 20])
    held = tree.stored.pop()

    report = verify(tree, signer, held.note)

    assert "published checkpoint 20 is not in ledger_checkpoints: a checkpoint row was deleted" in (
        report.problems
    )


@pytest.mark.parametrize(
    ("signed_at", "problem"),
    [
        ("2001-01-01T00:00:00+00:00", "is not the time the log key signed"),
        (None, "signed_at None is not a time"),
        (12, "signed_at 12 is not a time"),
    ],
)
def test_finding_3_the_stored_time_must_be_the_signed_one(
    signer: Signer, signed_at: Any, problem: str
) -> None:
    """Finding 3: signed_at is only shown as a fact when the log key signed that time."""
    tree = tree_with_checkpoints(signer, 10, [10])
    tree.times[10] = signed_at

    report = verify(tree, signer)

    assert len(report.problems) == 1
    assert report.problems[0].startswith("checkpoint 10: ")
    assert problem in report.problems[0]


def test_finding_3_a_checkpoint_without_a_signed_time_is_reported(signer: Signer) -> None:
    """Finding 3: a note signed without the timestamped cosignature line gives no time."""
    tree = tree_with_checkpoints(signer, 10, [10])
    tree.stored[0] = StoredCheckpoint(
        10, tree.stored[0].root, sign(signer, 10, tree.stored[0].root)
    )

    report = verify(tree, signer)

    assert report.problems == ["checkpoint 10: its note carries no time signed by the log key"]


# Finding 6 (second half): gaps and malformed rows, never an exception.


@pytest.mark.parametrize("missing", [7, 8, 15, 16, 22])
def test_finding_6_a_gap_anywhere_is_reported_and_later_checkpoints_are_unchecked(
    signer: Signer, missing: int
) -> None:
    """Finding 6: a leaf missing before, at or after a block boundary, or in the last block."""
    tree = tree_with_checkpoints(signer, 24, [4, 24])
    del tree.leaves[missing]

    report = verify(tree, signer)

    assert report.problems == [
        f"leaf {missing} is missing: the log is not dense",
        f"checkpoint 24 cannot be checked: leaf {missing} is missing",
    ]


def test_finding_6_past_65536_leaves_a_gap_before_the_block_boundary_does_not_crash(
    signer: Signer,
) -> None:
    """Finding 6: the original crash, at the default block of 65,536 leaves, with few hashes."""
    tree = tree_with_checkpoints(signer, 16, [16])
    tree.leaves = {i: leaf_hash(b"x") for i in range(65_540)}
    del tree.leaves[65_535]
    tree.stored.clear()

    report = verify(tree, signer, block_size=1 << 16)

    assert report.problems[0] == "leaf 65535 is missing: the log is not dense"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("x" * 32, "leaf 3: leaf_hash is not 32 bytes"),
        (b"\x00" * 31, "leaf 3: leaf_hash is not 32 bytes"),
        (None, "leaf 3: leaf_hash is not 32 bytes"),
    ],
)
def test_finding_6_a_malformed_leaf_row_is_reported(
    signer: Signer, value: Any, problem: str
) -> None:
    """Finding 6: type-confused leaf rows name the row instead of raising."""
    tree = tree_with_checkpoints(signer, 10, [10])
    tree.leaves[3] = value

    report = verify(tree, signer)

    assert report.problems == [problem, "checkpoint 10 cannot be checked: leaf 3 is unreadable"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (("10", b"\x00" * 32, "note"), "checkpoint row '10': tree_size is not an integer"),
        ((10, "root" * 8, "note"), "checkpoint row 10: root_hash is not 32 bytes"),
        ((10, b"\x00" * 32, b"note"), "checkpoint row 10: note is not text"),
    ],
)
def test_finding_6_a_malformed_checkpoint_row_is_reported(
    signer: Signer, row: tuple[Any, Any, Any], problem: str
) -> None:
    """Finding 6: a checkpoint row of the wrong types is a problem naming the row."""
    tree = tree_with_checkpoints(signer, 10, [])
    tree.stored.append(StoredCheckpoint(*row))

    report = verify(tree, signer)

    assert problem in report.problems


def test_finding_6_a_malformed_node_row_is_reported(signer: Signer) -> None:
    """Finding 6: a node hash of the wrong type is a problem naming the row."""
    tree = tree_with_checkpoints(signer, 8, [8])
    tree.nodes[(1, 2)] = "y" * 32

    report = verify(tree, signer)

    assert report.problems == [
        "stored subtree hash (level 1, index 2) over leaves [4, 6) differs from the hash of its "
        "leaves"
    ]


def test_finding_6_verify_tree_reports_a_store_that_fails_instead_of_raising(
    signer: Signer,
) -> None:
    """Finding 6: verify never raises, even when reading the store fails."""
    tree = tree_with_checkpoints(signer, 8, [8])

    def broken(*_: Any) -> list[tuple[Any, Any]]:
        raise RuntimeError("disk I/O error")

    tree.leaf_rows = broken  # type: ignore[method-assign]

    report = verify(tree, signer)

    assert report.problems == ["verification stopped: RuntimeError: disk I/O error"]
