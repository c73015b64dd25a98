"""Inclusion proofs of logged records in their sealed segment, and whole-segment checks.

A segment's Merkle tree is RFC 6962's over its records' leaf hashes (``leaf_hash`` of each
record's RFC 8785 bytes), in file order; its root is what the segment's ledger event records.
A record's proof is RFC 9162 section 2.1.3.1 PATH(index, D[n]); with the ledger's own proof of
that event under a signed checkpoint it proves the prediction: record -> segment root -> ledger
leaf -> checkpoint. Proofs are cut from cached tree levels, O(log^2 n) per record.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.prediction_log import segment_file as files
from adapters.prediction_log.lookup import find_record, sealed_description, segment_blocks
from domain.errors import ArtifactError, InvalidStateError
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest
from ledger.merkle import inclusion_ranges, leaf_hash, node_hash, root_hash, verify_inclusion

__all__ = ["RecordProof", "check_sealed_segment", "record_inclusion", "verify_record_proof"]

_TREE_CACHE_SIZE = 8


@dataclass(frozen=True)
class RecordProof:
    """A record and the hashes proving it is leaf ``leaf_index`` of a segment's tree."""

    record: dict[str, object]
    segment_sequence: int
    leaf_index: int
    segment_size: int
    proof: list[str]
    merkle_root: str


def record_inclusion(directory: Path, prediction_id: str) -> RecordProof:
    """The inclusion proof of a record of a sealed segment; InvalidStateError while unsealed."""
    found = find_record(directory, prediction_id)
    if not found.sealed:
        raise InvalidStateError(
            f"record {prediction_id} is in segment {found.segment_sequence}, which is not "
            "sealed yet: seal it to prove the record"
        )
    path = directory / files.file_name(found.segment_sequence, files.SEALED_SUFFIX)
    tree = _TREES.tree(path)
    sealed_root = sealed_description(path).get("merkle_root")
    if sealed_root is None:
        raise ArtifactError(f"{path.name} has lost its index; reopen the log to rebuild it")
    if tree.root.hex() != sealed_root:
        raise ArtifactError(f"{path.name} no longer has the Merkle root it was sealed with")
    return RecordProof(
        record=found.record,
        segment_sequence=found.segment_sequence,
        leaf_index=found.index_in_segment,
        segment_size=tree.size,
        proof=[value.hex() for value in tree.proof(found.index_in_segment)],
        merkle_root=tree.root.hex(),
    )


def verify_record_proof(proof: RecordProof) -> None:
    """Raise VerificationError unless the record's canonical bytes lead to ``merkle_root``.

    The caller then checks ``merkle_root`` is the one the segment's ledger event records.
    """
    verify_inclusion(
        leaf_hash(canonical_json(proof.record)),
        proof.leaf_index,
        proof.segment_size,
        [bytes.fromhex(value) for value in proof.proof],
        bytes.fromhex(proof.merkle_root),
    )


def check_sealed_segment(path: Path, digest: str, merkle_root: str, record_count: int) -> list[str]:
    """What is wrong with a sealed segment file against its recorded facts (empty: nothing)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"segment file {path} cannot be read: {exc.strerror or exc}"]
    problems: list[str] = []
    actual = sha256_digest(data)
    if actual != digest:
        problems.append(f"{path.name}: its digest is {actual}, the ledger records {digest}")
    found = files.scan(data)
    if found.problem or found.valid_end != len(data):
        problems.append(f"{path.name}: {found.problem or 'bytes after its last batch'}")
    try:
        leaves = [leaf_hash(record) for record in files.iter_records(data, found.blocks)]
    except ArtifactError as exc:
        return [*problems, f"{path.name}: {exc}"]
    if len(leaves) != record_count:
        problems.append(
            f"{path.name}: it holds {len(leaves)} records, the ledger records {record_count}"
        )
    root = root_hash(leaves).hex()
    if root != merkle_root:
        problems.append(f"{path.name}: its Merkle root is {root}, the ledger records {merkle_root}")
    return problems


class _Tree:
    """The levels of a segment's RFC 6962 tree: ``levels[h][j]`` is the root of the perfect
    subtree of 2**h leaves starting at leaf j * 2**h."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )
        self.root = self.range_root(0, self.size) if self.size else root_hash([])

    def range_root(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end) where ``start`` is aligned as RFC 6962's splits align it."""
        width = end - start
        height = width.bit_length() - 1
        if width == 1 << height and start % width == 0:
            return self.levels[height][start >> height]
        split = 1 << ((width - 1).bit_length() - 1)
        return node_hash(self.range_root(start, start + split), self.range_root(start + split, end))

    def proof(self, index: int) -> list[bytes]:
        """PATH(index, D[size]) (RFC 9162 section 2.1.3.1)."""
        return [self.range_root(start, end) for start, end in inclusion_ranges(index, self.size)]


class _TreeCache:
    """Trees of recently proved sealed segments (sealed files never change once sealed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._trees: OrderedDict[tuple[Path, int, int], _Tree] = OrderedDict()

    def tree(self, path: Path) -> _Tree:
        status = path.stat()
        key = (path, status.st_size, status.st_mtime_ns)
        with self._lock:
            if key in self._trees:
                self._trees.move_to_end(key)
                return self._trees[key]
        data = path.read_bytes()
        tree = _Tree([leaf_hash(r) for r in files.iter_records(data, segment_blocks(path))])
        with self._lock:
            self._trees[key] = tree
            if len(self._trees) > _TREE_CACHE_SIZE:
                self._trees.popitem(last=False)
        return tree


_TREES = _TreeCache()
