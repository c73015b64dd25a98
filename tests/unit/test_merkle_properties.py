"""ledger.merkle on many trees: against the RFC 6962 definitions, and under mutated proofs.

The reference functions below transcribe RFC 6962 section 2.1 (MTH), 2.1.1 (PATH) and 2.1.2
(SUBPROOF) recursively, as written, to check the module's iterative versions on every small tree.
Hypothesis then builds random logs of up to 300 distinct leaves: every honest proof verifies, and
every mutated one raises VerificationError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.errors import VerificationError
from ledger.merkle import (
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

SMALL_SIZES = range(1, 65)
SMALL_LOG = [leaf_hash(i.to_bytes(2, "big")) for i in range(max(SMALL_SIZES))]

# RFC 6962 section 2.1, transcribed


def largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(d: Sequence[bytes]) -> bytes:
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = largest_power_of_two_below(len(d))
    return node_hash(rfc_mth(d[:k]), rfc_mth(d[k:]))


def rfc_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = largest_power_of_two_below(len(d))
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [rfc_mth(d)]
    k = largest_power_of_two_below(len(d))
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


def test_root_hash_is_the_rfc_6962_mth_of_every_small_tree() -> None:
    for size in range(max(SMALL_SIZES) + 1):
        assert root_hash(SMALL_LOG[:size]) == rfc_mth(SMALL_LOG[:size])


def test_inclusion_proofs_are_the_rfc_6962_path_of_every_leaf_of_every_small_tree() -> None:
    for size in SMALL_SIZES:
        tree = SMALL_LOG[:size]
        for index in range(size):
            assert inclusion_proof(tree, index) == rfc_path(index, tree)


def test_consistency_proofs_are_the_rfc_6962_subproof_between_all_small_sizes() -> None:
    for size in SMALL_SIZES:
        tree = SMALL_LOG[:size]
        for old_size in range(1, size + 1):
            assert consistency_proof(tree, old_size) == rfc_subproof(old_size, tree, True)


# The ranges, directly: what a prover that stores subtree hashes relies on


def is_aligned(start: int, end: int) -> bool:
    """Whether [start, end) starts on a multiple of a power of two at least its length."""
    return start % (1 << (end - start - 1).bit_length()) == 0


def test_inclusion_ranges_and_the_leaf_partition_the_tree_into_aligned_runs() -> None:
    for size in SMALL_SIZES:
        for index in range(size):
            ranges = inclusion_ranges(index, size)
            covered = sorted([(index, index + 1), *ranges])
            assert [start for start, _ in covered] == [0] + [end for _, end in covered[:-1]]
            assert covered[-1][1] == size
            assert all(is_aligned(start, end) for start, end in ranges)


def test_consistency_ranges_with_a_power_of_two_old_tree_partition_the_new_tree() -> None:
    for size in SMALL_SIZES:
        for old_size in range(1, size):
            ranges = consistency_ranges(old_size, size)
            whole_old_tree = [(0, old_size)] if old_size & (old_size - 1) == 0 else []
            covered = sorted(whole_old_tree + ranges)
            assert [start for start, _ in covered] == [0] + [end for _, end in covered[:-1]]
            assert covered[-1][1] == size
            assert all(is_aligned(start, end) for start, end in ranges)


# Random logs


@st.composite
def logs(draw: st.DrawFn, min_size: int = 1, max_size: int = 300) -> list[bytes]:
    """Leaf hashes of distinct random leaves: no two subtrees of a log share a hash."""
    size = draw(st.integers(min_size, max_size))
    data = draw(st.lists(st.binary(max_size=24), min_size=size, max_size=size, unique=True))
    return [leaf_hash(leaf) for leaf in data]


@settings(max_examples=25, deadline=None, database=None)
@given(log=logs())
def test_every_inclusion_proof_of_a_random_tree_verifies_against_its_root(log: list[bytes]) -> None:
    root = root_hash(log)
    for index, leaf in enumerate(log):
        verify_inclusion(leaf, index, len(log), inclusion_proof(log, index), root)


@settings(max_examples=25, deadline=None, database=None)
@given(log=logs())
def test_every_consistency_proof_of_a_random_tree_verifies_between_its_roots(
    log: list[bytes],
) -> None:
    new_root = root_hash(log)
    for old_size in range(1, len(log) + 1):
        proof = consistency_proof(log, old_size)
        verify_consistency(old_size, len(log), root_hash(log[:old_size]), new_root, proof)


# Mutated proofs: each mutation of an honest claim must raise VerificationError. The claims have
# one proof hash or more; one-leaf trees and equal sizes are covered one rule a test in
# test_merkle.py.


@dataclass(frozen=True)
class InclusionClaim:
    log: list[bytes]
    leaf_hash: bytes
    index: int
    tree_size: int
    proof: list[bytes]
    root: bytes

    def verify(self) -> None:
        verify_inclusion(self.leaf_hash, self.index, self.tree_size, self.proof, self.root)


@dataclass(frozen=True)
class ConsistencyClaim:
    log: list[bytes]
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]

    def verify(self) -> None:
        verify_consistency(self.old_size, self.new_size, self.old_root, self.new_root, self.proof)


@st.composite
def inclusion_claims(draw: st.DrawFn) -> InclusionClaim:
    """An honest inclusion proof of one hash or more, in a prefix of a random log."""
    log = draw(logs(min_size=2))
    tree_size = draw(st.integers(2, len(log)))
    index = draw(st.integers(0, tree_size - 1))
    proof = inclusion_proof(log[:tree_size], index)
    return InclusionClaim(log, log[index], index, tree_size, proof, root_hash(log[:tree_size]))


@st.composite
def consistency_claims(draw: st.DrawFn) -> ConsistencyClaim:
    """An honest consistency proof between two different prefixes of a random log."""
    log = draw(logs(min_size=2))
    new_size = draw(st.integers(2, len(log)))
    old_size = draw(st.integers(1, new_size - 1))
    proof = consistency_proof(log[:new_size], old_size)
    old_root, new_root = root_hash(log[:old_size]), root_hash(log[:new_size])
    return ConsistencyClaim(log, old_size, new_size, old_root, new_root, proof)


Draw = Callable[[st.SearchStrategy[Any]], Any]


def flip_a_bit(proof: list[bytes], draw: Draw) -> list[bytes]:
    position = draw(st.integers(0, len(proof) - 1))
    bit = draw(st.integers(0, 8 * len(proof[position]) - 1))
    flipped = int.from_bytes(proof[position], "big") ^ (1 << bit)
    return [*proof[:position], flipped.to_bytes(32, "big"), *proof[position + 1 :]]


def drop_a_hash(proof: list[bytes], draw: Draw) -> list[bytes]:
    position = draw(st.integers(0, len(proof) - 1))
    return proof[:position] + proof[position + 1 :]


def add_a_hash(proof: list[bytes], draw: Draw) -> list[bytes]:
    position = draw(st.integers(0, len(proof)))
    extra = draw(st.binary(min_size=32, max_size=32) | st.sampled_from(proof))
    return [*proof[:position], extra, *proof[position:]]


def swap_two_hashes(proof: list[bytes], draw: Draw) -> list[bytes]:
    assume(len(proof) >= 2)
    first = draw(st.integers(0, len(proof) - 2))
    second = draw(st.integers(first + 1, len(proof) - 1))
    assume(proof[first] != proof[second])
    swapped = list(proof)
    swapped[first], swapped[second] = proof[second], proof[first]
    return swapped


def truncate_a_hash(proof: list[bytes], draw: Draw) -> list[bytes]:
    position = draw(st.integers(0, len(proof) - 1))
    return [*proof[:position], proof[position][:31], *proof[position + 1 :]]


def other_hash(value: bytes, draw: Draw) -> bytes:
    other: bytes = draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != value))
    return other


Claim = TypeVar("Claim", InclusionClaim, ConsistencyClaim)
Mutation = Callable[[Claim, Draw], Claim]


def on_the_proof(mutate: Callable[[list[bytes], Draw], list[bytes]]) -> Mutation[Any]:
    """A mutation of either kind of claim that changes only its proof."""

    def mutation(claim: Any, draw: Draw) -> Any:
        return replace(claim, proof=mutate(claim.proof, draw))

    return mutation


PROOF_MUTATIONS: dict[str, Mutation[Any]] = {
    "flipped bit in a proof hash": on_the_proof(flip_a_bit),
    "dropped proof hash": on_the_proof(drop_a_hash),
    "added proof hash": on_the_proof(add_a_hash),
    "swapped proof hashes": on_the_proof(swap_two_hashes),
    "proof hash truncated to 31 bytes": on_the_proof(truncate_a_hash),
}


def wrong_index(claim: InclusionClaim, draw: Draw) -> InclusionClaim:
    shift = draw(st.integers(1, claim.tree_size - 1))
    return replace(claim, index=(claim.index + shift) % claim.tree_size)


def index_outside_the_tree(claim: InclusionClaim, draw: Draw) -> InclusionClaim:
    index = draw(st.integers(claim.tree_size, 2**64) | st.integers(-(2**64), -1))
    return replace(claim, index=index)


def wrong_tree_size_with_its_root(claim: InclusionClaim, draw: Draw) -> InclusionClaim:
    assume(claim.index + 1 < len(claim.log))
    size = draw(st.integers(claim.index + 1, len(claim.log) - 1))
    if size >= claim.tree_size:  # skip the honest size
        size += 1
    return replace(claim, tree_size=size, root=root_hash(claim.log[:size]))


def wrong_leaf_hash(claim: InclusionClaim, draw: Draw) -> InclusionClaim:
    other_leaf = draw(st.sampled_from(claim.log).filter(lambda h: h != claim.leaf_hash))
    return replace(claim, leaf_hash=other_leaf)


def wrong_root(claim: InclusionClaim, draw: Draw) -> InclusionClaim:
    return replace(claim, root=other_hash(claim.root, draw))


def truncated_leaf_hash(claim: InclusionClaim, _: Draw) -> InclusionClaim:
    return replace(claim, leaf_hash=claim.leaf_hash[:31])


def truncated_root(claim: InclusionClaim, _: Draw) -> InclusionClaim:
    return replace(claim, root=claim.root[:31])


INCLUSION_MUTATIONS: dict[str, Mutation[InclusionClaim]] = {
    **PROOF_MUTATIONS,
    "wrong index": wrong_index,
    "index outside the tree": index_outside_the_tree,
    "wrong tree size with that size's root": wrong_tree_size_with_its_root,
    "wrong leaf hash": wrong_leaf_hash,
    "wrong root": wrong_root,
    "leaf hash truncated to 31 bytes": truncated_leaf_hash,
    "root truncated to 31 bytes": truncated_root,
}


def wrong_old_size_with_its_root(claim: ConsistencyClaim, draw: Draw) -> ConsistencyClaim:
    size = draw(st.integers(1, claim.new_size - 1))
    if size >= claim.old_size:  # skip the honest size
        size += 1
    return replace(claim, old_size=size, old_root=root_hash(claim.log[:size]))


def wrong_new_size_with_its_root(claim: ConsistencyClaim, draw: Draw) -> ConsistencyClaim:
    size = draw(st.integers(claim.old_size, len(claim.log) - 1))
    if size >= claim.new_size:  # skip the honest size
        size += 1
    return replace(claim, new_size=size, new_root=root_hash(claim.log[:size]))


def wrong_old_root(claim: ConsistencyClaim, draw: Draw) -> ConsistencyClaim:
    return replace(claim, old_root=other_hash(claim.old_root, draw))


def wrong_new_root(claim: ConsistencyClaim, draw: Draw) -> ConsistencyClaim:
    return replace(claim, new_root=other_hash(claim.new_root, draw))


def truncated_old_root(claim: ConsistencyClaim, _: Draw) -> ConsistencyClaim:
    return replace(claim, old_root=claim.old_root[:31])


def truncated_new_root(claim: ConsistencyClaim, _: Draw) -> ConsistencyClaim:
    return replace(claim, new_root=claim.new_root[:31])


CONSISTENCY_MUTATIONS: dict[str, Mutation[ConsistencyClaim]] = {
    **PROOF_MUTATIONS,
    "wrong old size with that size's root": wrong_old_size_with_its_root,
    "wrong new size with that size's root": wrong_new_size_with_its_root,
    "wrong old root": wrong_old_root,
    "wrong new root": wrong_new_root,
    "old root truncated to 31 bytes": truncated_old_root,
    "new root truncated to 31 bytes": truncated_new_root,
}


@pytest.mark.parametrize("mutation", sorted(INCLUSION_MUTATIONS))
@settings(max_examples=40, deadline=None, database=None)
@given(claim=inclusion_claims(), data=st.data())
def test_a_mutated_inclusion_proof_is_refused(
    mutation: str, claim: InclusionClaim, data: st.DataObject
) -> None:
    claim.verify()
    mutated = INCLUSION_MUTATIONS[mutation](claim, data.draw)

    with pytest.raises(VerificationError):
        mutated.verify()


@pytest.mark.parametrize("mutation", sorted(CONSISTENCY_MUTATIONS))
@settings(max_examples=40, deadline=None, database=None)
@given(claim=consistency_claims(), data=st.data())
def test_a_mutated_consistency_proof_is_refused(
    mutation: str, claim: ConsistencyClaim, data: st.DataObject
) -> None:
    claim.verify()
    mutated = CONSISTENCY_MUTATIONS[mutation](claim, data.draw)

    with pytest.raises(VerificationError):
        mutated.verify()
