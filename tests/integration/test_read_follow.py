"""``project --follow`` wakes when the log grows: on PostgreSQL at the append's NOTIFY, long
before its polling interval; on SQLite by polling every interval. Both stop when told."""

from __future__ import annotations

import threading
import time

import pytest

from api.composition import Ledger
from api.read_follow import wait_for_appends
from tests.integration.test_signed_store import add_versions


def first_wake_after_an_append(ledger: Ledger, interval: float) -> float:
    """Seconds from an append (made 0.3 s into the wait) to the follower's first wake."""
    stop = threading.Event()
    appended: list[float] = []

    def append() -> None:
        time.sleep(0.3)
        appended.append(time.monotonic())
        add_versions(ledger.application, "credit", 0)

    writer = threading.Thread(target=append)
    waits = wait_for_appends(ledger, stop, interval)
    writer.start()
    try:
        next(waits)
        woke = time.monotonic()
    finally:
        stop.set()
        writer.join()
    assert list(waits) == []  # stopped: no further wake
    return woke - appended[0]


class TestFollowOnPostgres:
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def test_an_append_wakes_the_follower_long_before_its_interval(self, ledger: Ledger) -> None:
        assert first_wake_after_an_append(ledger, interval=30.0) < 5.0


class TestFollowOnSQLite:
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def test_the_follower_looks_again_every_interval(self, ledger: Ledger) -> None:
        stop = threading.Event()
        waits = wait_for_appends(ledger, stop, 0.1)
        started = time.monotonic()
        next(waits)
        next(waits)
        assert 0.15 <= time.monotonic() - started < 5.0
        stop.set()
        assert list(waits) == []
