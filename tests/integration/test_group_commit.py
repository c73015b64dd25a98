"""Group commit in the signed store, through the real application, on SQLite and PostgreSQL.

A gate holds the first transaction open until the calls under test have queued behind it, so
the batch they form is certain rather than left to thread scheduling.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from api.composition import Ledger
from domain.aggregates.dataset import Dataset
from ledger.errors import StoreError
from ledger.store.group_commit import GroupCommitter, PendingAppend
from ledger.store.signed_event import envelope_digest
from ledger.verify.events import verify_store
from tests.integration.raw_access import RawAccess
from tests.integration.test_signed_store import add_versions

TIMEOUT = 30.0


class Outcome:
    """What one thread's call returned or raised."""

    def __init__(self) -> None:
        self.value: Any = None
        self.error: BaseException | None = None


def start(call: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = call()
        except BaseException as exc:  # examined by the test
            outcome.error = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def join_all(threads: Sequence[threading.Thread]) -> None:
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a caller was left waiting"


def wait_until_queued(committer: GroupCommitter, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while committer.waiting < count:
        assert time.monotonic() < deadline, f"{committer.waiting} of {count} calls queued"
        time.sleep(0.005)


class Gate:
    """Holds the next solo transaction open until ``open`` is called."""

    def __init__(self, committer: GroupCommitter, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.fail_with: BaseException | None = None
        write_one = committer._write_one

        def held(batch: Sequence[PendingAppend]) -> None:
            if not self.released.is_set():
                self.entered.set()
                assert self.released.wait(TIMEOUT)
                if self.fail_with is not None:
                    raise self.fail_with
            write_one(batch)

        monkeypatch.setattr(committer, "_write_one", held)

    def hold(self, call: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
        """Start ``call`` as the leader and wait until its transaction is held open."""
        started = start(call)
        assert self.entered.wait(TIMEOUT)
        return started

    def open(self) -> None:
        self.released.set()


def new_dataset(ledger: Ledger, name: str) -> Callable[[], UUID]:
    return lambda: add_versions(ledger.application, name, 0)


def add_version(dataset: Dataset, number: int) -> None:
    dataset.add_version(
        digest="sha256:" + hashlib.sha256(f"{dataset.name}-{number}".encode()).hexdigest(),
        row_count=100 + number,
        columns=["age", "amount"],
        protected_attributes=["age"],
        sensitivity="internal",
        actor="steward",
    )


class GroupCommitContract:
    """What group commit guarantees on every engine; subclasses provide ``database_url``."""

    def assert_intact(self, ledger: Ledger, raw: RawAccess) -> None:
        leaves = raw.leaves()
        assert [index for index, _, _ in leaves] == list(range(len(leaves)))
        assert raw.count("ledger_events") == len(leaves)
        report = verify_store(ledger.log, ledger.keyring())
        assert report.intact, report.problems

    def test_many_threads_through_the_application_keep_every_signature_chain_and_leaf(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        before = raw.count("ledger_events")

        def writer(n: int) -> Callable[[], list[UUID]]:
            return lambda: [add_versions(ledger.application, f"t{n}-{d}", 2) for d in range(4)]

        threads = [start(writer(n)) for n in range(16)]
        join_all([thread for thread, _ in threads])

        assert [outcome.error for _, outcome in threads] == [None] * 16
        assert raw.count("ledger_events") == before + 16 * 4 * 3
        stats = ledger.recorder.committer.stats
        assert stats.calls >= 16 * 4 * 3
        self.assert_intact(ledger, raw)

    def test_calls_arriving_during_a_commit_share_the_next_transaction(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        committer = ledger.recorder.committer
        gate = Gate(committer, monkeypatch)
        leader = gate.hold(new_dataset(ledger, "leader"))
        calls_before, transactions_before = committer.stats.calls, committer.stats.transactions
        followers = [start(new_dataset(ledger, f"follower-{n}")) for n in range(8)]
        wait_until_queued(committer, 8)
        gate.open()
        join_all([leader[0], *(thread for thread, _ in followers)])

        assert [outcome.error for _, outcome in [leader, *followers]] == [None] * 9
        assert committer.stats.calls - calls_before == 9
        assert committer.stats.transactions - transactions_before == 2  # the leader's, then one
        assert committer.stats.largest_batch == 8
        for _, outcome in followers:
            assert ledger.application.repository.get(outcome.value).name.startswith("follower")
        self.assert_intact(ledger, raw)

    def test_a_conflicting_call_fails_alone_and_the_others_commit(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = ledger.application
        dataset_id = add_versions(app, "contested", 0)
        first: Dataset = app.repository.get(dataset_id)
        second: Dataset = app.repository.get(dataset_id)
        add_version(first, 1)
        add_version(second, 2)
        committer = ledger.recorder.committer
        gate = Gate(committer, monkeypatch)
        leader = gate.hold(new_dataset(ledger, "leader"))
        winner = start(lambda: app.save(first))
        wait_until_queued(committer, 1)
        others = [start(new_dataset(ledger, f"other-{n}")) for n in range(3)]
        wait_until_queued(committer, 4)
        loser = start(lambda: app.save(second))
        wait_until_queued(committer, 5)
        gate.open()
        join_all([leader[0], winner[0], loser[0], *(thread for thread, _ in others)])

        assert isinstance(loser[1].error, IntegrityError)
        assert [outcome.error for _, outcome in [leader, winner, *others]] == [None] * 5
        assert committer.stats.largest_batch == 5
        committed: Dataset = app.repository.get(dataset_id)
        assert committed.version == 2
        assert committed.versions[-1].digest == first.versions[-1].digest
        # The cache holds the committed envelope's digest, never the rolled-back one.
        assert ledger.recorder.digests.get(dataset_id, 2) == envelope_digest(
            raw.state(dataset_id, 2)
        )
        self.assert_intact(ledger, raw)

    def test_two_calls_on_one_aggregate_in_one_batch_chain_to_each_other(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = ledger.application
        dataset_id = add_versions(app, "chained", 0)
        dataset: Dataset = app.repository.get(dataset_id)
        add_version(dataset, 1)
        add_version(dataset, 2)
        stored: list[StoredEvent] = [
            app.mapper.to_stored_event(e) for e in dataset.collect_events()
        ]
        recorder = ledger.recorder
        gate = Gate(recorder.committer, monkeypatch)
        leader = gate.hold(new_dataset(ledger, "leader"))
        earlier = start(lambda: recorder.insert_events([stored[0]]))
        wait_until_queued(recorder.committer, 1)
        later = start(lambda: recorder.insert_events([stored[1]]))
        wait_until_queued(recorder.committer, 2)
        gate.open()
        join_all([leader[0], earlier[0], later[0]])

        assert [leader[1].error, earlier[1].error, later[1].error] == [None] * 3
        assert earlier[1].value[0] < later[1].value[0]  # notification ids in commit order
        assert recorder.committer.stats.largest_batch == 2
        assert app.repository.get(dataset_id).version == 3
        self.assert_intact(ledger, raw)

    def test_a_call_the_sealer_refuses_fails_alone_with_its_own_error(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        app = ledger.application
        dataset = Dataset(name="gapped", description="test data", actor="steward")
        add_version(dataset, 1)
        gapped = app.mapper.to_stored_event(dataset.collect_events()[1])  # version 2 without 1
        recorder = ledger.recorder
        gate = Gate(recorder.committer, monkeypatch)
        leader = gate.hold(new_dataset(ledger, "leader"))
        before = start(new_dataset(ledger, "before"))
        wait_until_queued(recorder.committer, 1)
        refused = start(lambda: recorder.insert_events([gapped]))
        wait_until_queued(recorder.committer, 2)
        after = start(new_dataset(ledger, "after"))
        wait_until_queued(recorder.committer, 3)
        gate.open()
        join_all([leader[0], before[0], refused[0], after[0]])

        assert isinstance(refused[1].error, StoreError)
        assert "no version 1" in str(refused[1].error)
        assert [leader[1].error, before[1].error, after[1].error] == [None] * 3
        assert recorder.committer.stats.largest_batch == 3
        assert recorder.envelope_of(dataset.id, 2) is None
        self.assert_intact(ledger, raw)

    def test_a_failed_batch_reaches_every_caller_and_stores_none_of_it(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        recorder = ledger.recorder
        before = raw.count("ledger_events")
        gate = Gate(recorder.committer, monkeypatch)
        leader = gate.hold(new_dataset(ledger, "leader"))
        followers = [start(new_dataset(ledger, f"follower-{n}")) for n in range(4)]
        wait_until_queued(recorder.committer, 4)
        seal = recorder.sealer.seal
        sealed_calls = [0]

        def seal_then_fail_on_the_last(*args: Any, **kwargs: Any) -> Any:
            sealed_calls[0] += 1
            if sealed_calls[0] == 5:  # the leader's, then the batch's fourth and last call
                raise RuntimeError("the disk went away")
            return seal(*args, **kwargs)

        monkeypatch.setattr(recorder.sealer, "seal", seal_then_fail_on_the_last)
        gate.open()
        join_all([leader[0], *(thread for thread, _ in followers)])
        monkeypatch.undo()

        assert leader[1].error is None
        errors = [outcome.error for _, outcome in followers]
        assert all(isinstance(e, RuntimeError) and "disk" in str(e) for e in errors), errors
        assert raw.count("ledger_events") == before + 1  # the leader's event only
        self.assert_intact(ledger, raw)
        after = add_versions(ledger.application, "afterwards", 0)  # nothing is stuck
        assert ledger.application.repository.get(after).name == "afterwards"
        assert raw.count("ledger_events") == before + 2

    def test_a_leader_that_dies_leaves_no_follower_waiting(
        self, ledger: Ledger, raw: RawAccess, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        committer = ledger.recorder.committer
        gate = Gate(committer, monkeypatch)
        gate.fail_with = KeyboardInterrupt()  # escapes every ``except Exception``
        leader = gate.hold(new_dataset(ledger, "leader"))
        followers = [start(new_dataset(ledger, f"follower-{n}")) for n in range(4)]
        wait_until_queued(committer, 4)
        gate.open()
        join_all([leader[0], *(thread for thread, _ in followers)])

        assert isinstance(leader[1].error, KeyboardInterrupt)
        assert [outcome.error for _, outcome in followers] == [None] * 4
        for _, outcome in followers:
            assert ledger.application.repository.get(outcome.value).name.startswith("follower")
        self.assert_intact(ledger, raw)


class TestGroupCommitOnSQLite(GroupCommitContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestGroupCommitOnPostgres(GroupCommitContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
