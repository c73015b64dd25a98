from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.merkle import leaf_hash, root_hash
from ledger.tlog.compact_range import CompactRange, fold_right, subtree_keys


def leaves(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


def test_decomposes_a_range_into_complete_subtrees_largest_first() -> None:
    assert subtree_keys(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtree_keys(8, 12) == [(2, 2)]


@pytest.mark.parametrize(("start", "end"), [(3, 5), (5, 5), (6, 4), (-1, 2)])
def test_refuses_ranges_that_are_empty_or_not_aligned(start: int, end: int) -> None:
    with pytest.raises(ValueError, match=r"range|aligned"):
        subtree_keys(start, end)


@given(st.integers(min_value=1, max_value=200), st.data())
def test_a_compact_range_grown_leaf_by_leaf_has_the_rfc6962_root(
    size: int, data: st.DataObject
) -> None:
    hashes = leaves(size)
    tree = CompactRange()
    completed = {}
    for leaf in hashes:
        completed.update(tree.append(leaf))

    assert tree.root() == root_hash(hashes)
    prefix = data.draw(st.integers(min_value=1, max_value=size))
    keys = subtree_keys(0, prefix)
    subtrees = [hashes[index] if level == 0 else completed[(level, index)] for level, index in keys]
    assert fold_right(subtrees) == root_hash(hashes[:prefix])
    resumed = CompactRange(prefix, subtrees)
    for leaf in hashes[prefix:]:
        resumed.append(leaf)
    assert resumed.root() == root_hash(hashes)


def test_appending_a_whole_subtree_equals_appending_its_leaves() -> None:
    hashes = leaves(24)
    by_leaf, by_subtree = CompactRange(), CompactRange()
    for leaf in hashes:
        by_leaf.append(leaf)
    by_subtree.append_subtree(4, root_hash(hashes[:16]))
    by_subtree.append_subtree(3, root_hash(hashes[16:]))

    assert by_subtree.root() == by_leaf.root() == root_hash(hashes)
    assert by_subtree.size == 24


def test_refuses_a_subtree_that_does_not_start_on_its_boundary() -> None:
    tree = CompactRange()
    tree.append(leaves(1)[0])

    with pytest.raises(ValueError, match="cannot start at leaf 1"):
        tree.append_subtree(1, leaves(1)[0])


def test_the_root_of_no_leaves_is_the_hash_of_nothing() -> None:
    assert CompactRange().root() == root_hash([])
