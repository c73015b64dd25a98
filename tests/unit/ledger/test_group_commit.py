"""The group committer alone, with fake writers: batching, outcomes, failures, no hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.store.group_commit import GroupCommitter, PendingAppend

TIMEOUT = 10.0


def event(version: int) -> StoredEvent:
    return StoredEvent("aggregate", version, "topic", b"{}")


class FakeStore:
    """Numbers each call's events; the first write can be held open, and writes can fail."""

    def __init__(self) -> None:
        self.transactions: list[list[int]] = []
        self.next_id = 1
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.hold.set()
        self.fail_batch: BaseException | None = None
        self.refuse_version: int | None = None

    def write(self, batch: Sequence[PendingAppend]) -> None:
        self.holding.set()
        assert self.hold.wait(TIMEOUT)
        if self.fail_batch is not None and len(batch) > 1:
            raise self.fail_batch
        self.transactions.append([p.events[0].originator_version for p in batch])
        for pending in batch:
            if pending.events[0].originator_version == self.refuse_version:
                pending.error = ValueError("refused alone")
                continue
            pending.notification_ids = list(range(self.next_id, self.next_id + len(pending.events)))
            self.next_id += len(pending.events)


def submit_in_thread(
    committer: GroupCommitter, version: int
) -> tuple[threading.Thread, PendingAppend]:
    pending = PendingAppend([event(version)], {})
    thread = threading.Thread(target=committer.submit, args=(pending,), daemon=True)
    thread.start()
    return thread, pending


def wait_queued(committer: GroupCommitter, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while committer.waiting < count:
        assert time.monotonic() < deadline
        time.sleep(0.001)


def held_then_queued(
    store: FakeStore, committer: GroupCommitter, count: int
) -> list[tuple[threading.Thread, PendingAppend]]:
    """One call holding the store, then ``count`` calls queued behind it, released."""
    store.hold.clear()
    calls = [submit_in_thread(committer, 1)]
    assert store.holding.wait(TIMEOUT)
    for version in range(2, count + 2):
        calls.append(submit_in_thread(committer, version))
        wait_queued(committer, version - 1)
    store.hold.set()
    for thread, _ in calls:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread, _ in calls), "a caller was left waiting"
    return calls


def test_a_solo_call_is_written_at_once_alone() -> None:
    store = FakeStore()
    committer = GroupCommitter(store.write, store.write)

    pending = committer.submit(PendingAppend([event(1), event(2)], {}))

    assert pending.notification_ids == [1, 2]
    assert pending.error is None
    assert store.transactions == [[1]]
    assert (committer.stats.calls, committer.stats.transactions) == (1, 1)


def test_calls_queued_during_a_write_share_the_next_one_in_arrival_order() -> None:
    store = FakeStore()
    committer = GroupCommitter(store.write, store.write)

    calls = held_then_queued(store, committer, 5)

    assert store.transactions == [[1], [2, 3, 4, 5, 6]]
    assert [p.notification_ids for _, p in calls] == [[n] for n in range(1, 7)]
    assert (committer.stats.calls, committer.stats.transactions) == (6, 2)
    assert committer.stats.largest_batch == 5


def test_a_batch_is_capped() -> None:
    store = FakeStore()
    committer = GroupCommitter(store.write, store.write, max_batch=2)

    held_then_queued(store, committer, 5)

    assert store.transactions == [[1], [2, 3], [4, 5], [6]]


def test_a_call_refused_by_the_writer_gets_its_own_error_and_the_others_their_ids() -> None:
    store = FakeStore()
    store.refuse_version = 3
    committer = GroupCommitter(store.write, store.write)

    calls = held_then_queued(store, committer, 3)

    outcomes = [(p.notification_ids, type(p.error)) for _, p in calls]
    assert outcomes == [
        ([1], type(None)),
        ([2], type(None)),
        (None, ValueError),
        ([3], type(None)),
    ]


@pytest.mark.parametrize("failure", [RuntimeError("commit failed"), KeyboardInterrupt()])
def test_a_failed_batch_reaches_every_caller_of_it_and_the_committer_goes_on(
    failure: BaseException,
) -> None:
    store = FakeStore()
    store.fail_batch = failure
    committer = GroupCommitter(store.write, store.write)

    calls = held_then_queued(store, committer, 3)

    assert calls[0][1].error is None
    assert [p.error for _, p in calls[1:]] == [failure] * 3
    assert [p.notification_ids for _, p in calls[1:]] == [None] * 3
    assert committer.submit(PendingAppend([event(9)], {})).error is None


def test_disabled_every_call_writes_alone() -> None:
    store = FakeStore()
    committer = GroupCommitter(store.write, store.write, enabled=False)

    calls = [submit_in_thread(committer, v) for v in range(1, 9)]
    for thread, _ in calls:
        thread.join(TIMEOUT)

    assert committer.stats.transactions == committer.stats.calls == 8
    assert committer.stats.largest_batch == 1


def test_a_batch_holds_at_least_one_call() -> None:
    with pytest.raises(ValueError, match="at least one"):
        GroupCommitter(FakeStore().write, FakeStore().write, max_batch=0)
