"""The worker's cache of documents its batches committed."""

from __future__ import annotations

from projections.store.sql_batch import DocumentCache


def test_a_cache_knows_nothing_until_told_and_then_what_it_was_told() -> None:
    cache = DocumentCache(limit=10)
    assert cache.get("doc", "a") is None
    cache.update({("doc", "a"): ('{"n":1}', "m1", True)})
    assert cache.get("doc", "a") == ('{"n":1}', "m1", True)
    assert cache.get("doc", "b") is None


def test_a_complete_cache_answers_for_documents_never_stored() -> None:
    cache = DocumentCache(limit=10)
    cache.start_empty()
    cache.update({("doc", "a"): ('{"n":1}', "", True)})
    assert cache.get("doc", "b") == (None, None, False)
    cache.clear()
    assert cache.get("doc", "b") is None


def test_the_least_recently_used_go_first_and_completeness_with_them() -> None:
    cache = DocumentCache(limit=2)
    cache.start_empty()
    cache.update({("doc", "a"): ("1", "", True), ("doc", "b"): ("2", "", True)})
    assert cache.get("doc", "a") == ("1", "", True)  # a is now the most recently used
    cache.update({("doc", "c"): ("3", "", True)})
    assert cache.get("doc", "b") is None  # evicted, and no longer known to be absent
    assert cache.get("doc", "a") == ("1", "", True)
    assert cache.get("doc", "c") == ("3", "", True)
    assert not cache.complete
