from __future__ import annotations

from uuid import uuid4

from ledger.store.digest_cache import DigestCache


def test_remembers_a_digest_by_aggregate_and_version() -> None:
    cache = DigestCache()
    aggregate_id = uuid4()

    cache.remember(aggregate_id, 3, "ab" * 32)

    assert cache.get(aggregate_id, 3) == "ab" * 32
    assert cache.get(aggregate_id, 2) is None
    assert cache.get(uuid4(), 3) is None


def test_forgets_the_least_recently_used_digest_beyond_its_size() -> None:
    cache = DigestCache(maxsize=2)
    first, second, third = uuid4(), uuid4(), uuid4()
    cache.remember(first, 1, "1")
    cache.remember(second, 1, "2")
    assert cache.get(first, 1) == "1"  # now the most recently used

    cache.remember(third, 1, "3")

    assert cache.get(second, 1) is None
    assert cache.get(first, 1) == "1"
    assert cache.get(third, 1) == "3"
