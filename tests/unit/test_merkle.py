"""ledger.merkle: its public API, tree hashes, proof ranges, and one strictness rule per test.

The RFC 6962 / transparency-dev vectors are in test_merkle_vectors.py; random trees and a
reference implementation written from the RFC text are in test_merkle_properties.py.
"""

from __future__ import annotations

import hashlib
import inspect

import pytest

from ledger import merkle
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

LEAVES = [leaf_hash(b"leaf %d" % i) for i in range(8)]
ROOTS = {size: root_hash(LEAVES[:size]) for size in range(len(LEAVES) + 1)}
OTHER_HASH = hashlib.sha256(b"not a node of this tree").digest()

SIGNATURES = {
    "leaf_hash": "(data: bytes) -> bytes",
    "node_hash": "(left: bytes, right: bytes) -> bytes",
    "root_hash": "(leaf_hashes: collections.abc.Sequence[bytes]) -> bytes",
    "inclusion_proof": "(leaf_hashes: collections.abc.Sequence[bytes], index: int) -> list[bytes]",
    "consistency_proof": (
        "(leaf_hashes: collections.abc.Sequence[bytes], old_size: int) -> list[bytes]"
    ),
    "verify_inclusion": (
        "(leaf_hash: bytes, index: int, tree_size: int, "
        "proof: collections.abc.Sequence[bytes], root: bytes) -> None"
    ),
    "verify_consistency": (
        "(old_size: int, new_size: int, old_root: bytes, new_root: bytes, "
        "proof: collections.abc.Sequence[bytes]) -> None"
    ),
}


def inclusion_of_leaf_5_in_8() -> tuple[bytes, int, int, list[bytes], bytes]:
    """A valid (leaf_hash, index, tree_size, proof, root) to break one way per test."""
    return LEAVES[5], 5, 8, inclusion_proof(LEAVES, 5), ROOTS[8]


def proof_from_6_to_8() -> list[bytes]:
    return consistency_proof(LEAVES, 6)


# The public API


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_each_public_function_has_the_agreed_signature(name: str) -> None:
    signature = inspect.signature(getattr(merkle, name), eval_str=True)

    assert str(signature) == SIGNATURES[name]


# Tree hashes


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert root_hash([]) == hashlib.sha256(b"").digest()


def test_a_leaf_hash_is_sha256_of_a_zero_byte_and_the_data() -> None:
    assert leaf_hash(b"data") == hashlib.sha256(b"\x00data").digest()


def test_a_node_hash_is_sha256_of_a_one_byte_and_both_children() -> None:
    assert node_hash(b"left", b"right") == hashlib.sha256(b"\x01leftright").digest()


def test_a_one_leaf_tree_hashes_to_its_leaf_hash() -> None:
    assert root_hash(LEAVES[:1]) == LEAVES[0]


def test_a_tree_splits_at_the_largest_power_of_two_below_its_size() -> None:
    a, b, c, d, e, f, g, _ = LEAVES
    four = node_hash(node_hash(a, b), node_hash(c, d))

    assert root_hash([a, b, c]) == node_hash(node_hash(a, b), c)
    assert root_hash([a, b, c, d, e]) == node_hash(four, e)
    assert root_hash([a, b, c, d, e, f, g]) == node_hash(four, node_hash(node_hash(e, f), g))


def test_root_hash_takes_any_sequence_of_leaf_hashes() -> None:
    assert root_hash(tuple(LEAVES)) == root_hash(LEAVES)


# Proof ranges: the contract of provers that keep node hashes elsewhere


def test_the_inclusion_ranges_of_leaf_5_in_8_are_its_sibling_then_each_uncle() -> None:
    assert inclusion_ranges(5, 8) == [(4, 5), (6, 8), (0, 4)]


def test_the_inclusion_ranges_of_the_last_leaf_skip_the_missing_right_subtrees() -> None:
    assert inclusion_ranges(6, 7) == [(4, 6), (0, 4)]


def test_the_only_leaf_of_a_tree_has_no_inclusion_ranges() -> None:
    assert inclusion_ranges(0, 1) == []


def test_the_consistency_ranges_from_6_to_8_start_with_the_old_trees_last_subtree() -> None:
    assert consistency_ranges(6, 8) == [(4, 6), (6, 8), (0, 4)]


def test_the_consistency_ranges_from_3_to_8() -> None:
    assert consistency_ranges(3, 8) == [(2, 3), (3, 4), (0, 2), (4, 8)]


def test_the_consistency_ranges_from_a_power_of_two_leave_out_the_old_tree_itself() -> None:
    assert consistency_ranges(4, 8) == [(4, 8)]
    assert consistency_ranges(1, 8) == [(1, 2), (2, 4), (4, 8)]


def test_equal_sizes_have_no_consistency_ranges() -> None:
    assert consistency_ranges(5, 5) == []


def test_each_proof_hash_is_the_root_of_its_range() -> None:
    for proof, ranges in [
        (inclusion_proof(LEAVES[:7], 2), inclusion_ranges(2, 7)),
        (consistency_proof(LEAVES[:7], 3), consistency_ranges(3, 7)),
    ]:
        assert proof == [root_hash(LEAVES[start:end]) for start, end in ranges]


@pytest.mark.parametrize(
    ("index", "size"), [(8, 8), (9, 8), (-1, 8), (0, 0)], ids=["at", "past", "negative", "empty"]
)
def test_inclusion_ranges_refuse_an_index_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError, match=f"index {index} is outside a tree of {size} leaves"):
        inclusion_ranges(index, size)


@pytest.mark.parametrize(
    ("old_size", "new_size"),
    [(0, 8), (9, 8), (-1, 8), (0, 0)],
    ids=["zero", "past", "negative", "empty"],
)
def test_consistency_ranges_refuse_an_old_size_outside_one_to_the_new_size(
    old_size: int, new_size: int
) -> None:
    with pytest.raises(ValueError, match=rf"old size {old_size} is outside 1\.\.{new_size}"):
        consistency_ranges(old_size, new_size)


# Proof generators refuse arguments that name no proof


def test_inclusion_proof_refuses_an_index_past_the_last_leaf() -> None:
    with pytest.raises(ValueError, match="index 8 is outside a tree of 8 leaves"):
        inclusion_proof(LEAVES, 8)


def test_inclusion_proof_refuses_a_negative_index() -> None:
    with pytest.raises(ValueError, match="index -1 is outside a tree of 8 leaves"):
        inclusion_proof(LEAVES, -1)


def test_inclusion_proof_refuses_the_empty_tree() -> None:
    with pytest.raises(ValueError, match="index 0 is outside a tree of 0 leaves"):
        inclusion_proof([], 0)


def test_consistency_proof_refuses_the_empty_old_tree() -> None:
    with pytest.raises(ValueError, match=r"old size 0 is outside 1\.\.8"):
        consistency_proof(LEAVES, 0)


def test_consistency_proof_refuses_an_old_size_larger_than_the_tree() -> None:
    with pytest.raises(ValueError, match=r"old size 9 is outside 1\.\.8"):
        consistency_proof(LEAVES, 9)


def test_the_consistency_proof_of_a_tree_with_itself_is_empty() -> None:
    assert consistency_proof(LEAVES, 8) == []


# verify_inclusion: one failure mode per test


def test_a_valid_inclusion_proof_verifies() -> None:
    verify_inclusion(*inclusion_of_leaf_5_in_8())


def test_inclusion_refuses_a_31_byte_leaf_hash() -> None:
    _, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match="leaf hash is 31 bytes, expected 32"):
        verify_inclusion(LEAVES[5][:31], index, size, proof, root)


def test_inclusion_refuses_a_33_byte_leaf_hash() -> None:
    _, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match="leaf hash is 33 bytes, expected 32"):
        verify_inclusion(LEAVES[5] + b"\x00", index, size, proof, root)


def test_inclusion_refuses_a_31_byte_root() -> None:
    leaf, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match="root is 31 bytes, expected 32"):
        verify_inclusion(leaf, index, size, proof, root[:31])


def test_inclusion_refuses_a_31_byte_proof_hash() -> None:
    leaf, index, size, proof, root = inclusion_of_leaf_5_in_8()
    proof[1] = proof[1][:31]
    with pytest.raises(VerificationError, match="proof hash 1 is 31 bytes, expected 32"):
        verify_inclusion(leaf, index, size, proof, root)


def test_inclusion_refuses_an_index_equal_to_the_tree_size() -> None:
    leaf, _, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match="index 8 is outside a tree of 8 leaves"):
        verify_inclusion(leaf, 8, size, proof, root)


def test_inclusion_refuses_a_negative_index() -> None:
    leaf, _, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match="index -1 is outside a tree of 8 leaves"):
        verify_inclusion(leaf, -1, size, proof, root)


def test_inclusion_refuses_the_empty_tree() -> None:
    with pytest.raises(VerificationError, match="index 0 is outside a tree of 0 leaves"):
        verify_inclusion(LEAVES[0], 0, 0, [], ROOTS[0])


def test_inclusion_refuses_a_proof_missing_its_last_hash() -> None:
    leaf, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(
        VerificationError, match="proof has 2 hashes, expected 3 for index 5 in a tree of 8"
    ):
        verify_inclusion(leaf, index, size, proof[:-1], root)


def test_inclusion_refuses_a_proof_with_a_leftover_hash() -> None:
    leaf, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(
        VerificationError, match="proof has 4 hashes, expected 3 for index 5 in a tree of 8"
    ):
        verify_inclusion(leaf, index, size, [*proof, root], root)


def test_inclusion_refuses_any_proof_hash_for_a_one_leaf_tree() -> None:
    with pytest.raises(
        VerificationError, match="proof has 1 hash, expected 0 for index 0 in a tree of 1"
    ):
        verify_inclusion(LEAVES[0], 0, 1, [LEAVES[0]], ROOTS[1])


def test_inclusion_refuses_a_root_the_proof_does_not_lead_to() -> None:
    leaf, index, size, proof, _ = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match=f"the proof leads to root {ROOTS[8].hex()}"):
        verify_inclusion(leaf, index, size, proof, OTHER_HASH)


def test_inclusion_refuses_a_leaf_the_proof_is_not_for() -> None:
    _, index, size, proof, root = inclusion_of_leaf_5_in_8()
    with pytest.raises(VerificationError, match=f"not the given {root.hex()}"):
        verify_inclusion(LEAVES[4], index, size, proof, root)


def test_an_inclusion_proof_binds_the_tree_size_only_through_the_root() -> None:
    # RFC 9162 checks a proof against a (size, root) pair: leaf 0's proof in 3 leaves has the
    # shape of one in 4 leaves, so paired with the 3-leaf root it also checks for size 4. The
    # size and root must come together from one signed checkpoint.
    verify_inclusion(LEAVES[0], 0, 4, inclusion_proof(LEAVES[:3], 0), ROOTS[3])

    with pytest.raises(VerificationError, match="the proof leads to root"):
        verify_inclusion(LEAVES[0], 0, 4, inclusion_proof(LEAVES[:3], 0), ROOTS[4])


# verify_consistency: one failure mode per test


def test_a_valid_consistency_proof_verifies() -> None:
    verify_consistency(6, 8, ROOTS[6], ROOTS[8], proof_from_6_to_8())


def test_a_valid_consistency_proof_from_a_power_of_two_verifies() -> None:
    verify_consistency(4, 8, ROOTS[4], ROOTS[8], consistency_proof(LEAVES, 4))


def test_equal_sizes_with_equal_roots_and_no_proof_verify() -> None:
    verify_consistency(8, 8, ROOTS[8], ROOTS[8], [])


def test_consistency_refuses_an_old_size_of_zero() -> None:
    with pytest.raises(VerificationError, match="old size 0 is refused"):
        verify_consistency(0, 8, ROOTS[0], ROOTS[8], [])


def test_consistency_refuses_two_empty_trees() -> None:
    with pytest.raises(VerificationError, match="old size 0 is refused"):
        verify_consistency(0, 0, ROOTS[0], ROOTS[0], [])


def test_consistency_refuses_a_negative_old_size() -> None:
    with pytest.raises(VerificationError, match="old size -1 is refused"):
        verify_consistency(-1, 8, ROOTS[6], ROOTS[8], proof_from_6_to_8())


def test_consistency_refuses_an_old_size_larger_than_the_new_size() -> None:
    with pytest.raises(VerificationError, match="old size 8 is larger than new size 7"):
        verify_consistency(8, 7, ROOTS[8], ROOTS[7], [])


def test_consistency_refuses_equal_sizes_with_a_proof() -> None:
    with pytest.raises(
        VerificationError, match=r"sizes are equal \(8\) but the proof has 1 hash, expected 0"
    ):
        verify_consistency(8, 8, ROOTS[8], ROOTS[8], [ROOTS[8]])


def test_consistency_refuses_equal_sizes_with_different_roots() -> None:
    with pytest.raises(VerificationError, match=r"sizes are equal \(8\) but the roots differ"):
        verify_consistency(8, 8, ROOTS[8], OTHER_HASH, [])


def test_consistency_refuses_a_31_byte_old_root() -> None:
    with pytest.raises(VerificationError, match="old root is 31 bytes, expected 32"):
        verify_consistency(6, 8, ROOTS[6][:31], ROOTS[8], proof_from_6_to_8())


def test_consistency_refuses_a_33_byte_new_root() -> None:
    with pytest.raises(VerificationError, match="new root is 33 bytes, expected 32"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8] + b"\x00", proof_from_6_to_8())


def test_consistency_refuses_short_roots_even_when_sizes_and_roots_are_equal() -> None:
    with pytest.raises(VerificationError, match="old root is 12 bytes, expected 32"):
        verify_consistency(1, 1, b"don't care 2", b"don't care 2", [])


def test_consistency_refuses_a_31_byte_proof_hash() -> None:
    proof = proof_from_6_to_8()
    proof[2] = proof[2][:31]
    with pytest.raises(VerificationError, match="proof hash 2 is 31 bytes, expected 32"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], proof)


def test_consistency_refuses_an_empty_proof_between_different_sizes() -> None:
    with pytest.raises(
        VerificationError, match="proof has 0 hashes, expected 3 from size 6 to size 8"
    ):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], [])


def test_consistency_refuses_a_proof_missing_its_last_hash() -> None:
    with pytest.raises(
        VerificationError, match="proof has 2 hashes, expected 3 from size 6 to size 8"
    ):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], proof_from_6_to_8()[:-1])


def test_consistency_refuses_a_proof_with_a_leftover_hash() -> None:
    with pytest.raises(
        VerificationError, match="proof has 4 hashes, expected 3 from size 6 to size 8"
    ):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], [*proof_from_6_to_8(), ROOTS[8]])


def test_consistency_from_a_power_of_two_refuses_the_old_root_sent_in_the_proof() -> None:
    proof = [ROOTS[4], *consistency_proof(LEAVES, 4)]
    with pytest.raises(
        VerificationError, match="proof has 2 hashes, expected 1 from size 4 to size 8"
    ):
        verify_consistency(4, 8, ROOTS[4], ROOTS[8], proof)


def test_consistency_refuses_an_old_root_the_proof_does_not_lead_to() -> None:
    with pytest.raises(VerificationError, match=f"the proof leads to old root {ROOTS[6].hex()}"):
        verify_consistency(6, 8, OTHER_HASH, ROOTS[8], proof_from_6_to_8())


def test_consistency_refuses_a_new_root_the_proof_does_not_lead_to() -> None:
    with pytest.raises(VerificationError, match=f"the proof leads to new root {ROOTS[8].hex()}"):
        verify_consistency(6, 8, ROOTS[6], OTHER_HASH, proof_from_6_to_8())


def test_consistency_refuses_swapped_roots() -> None:
    with pytest.raises(VerificationError, match="the proof leads to old root"):
        verify_consistency(6, 8, ROOTS[8], ROOTS[6], proof_from_6_to_8())
