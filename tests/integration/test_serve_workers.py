"""The background workers of ``govledger serve`` on SQLite and PostgreSQL: they project and
checkpoint what another process appends, stop when told, and report an integrity failure."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from api.composition import Ledger
from api.read_side import projector
from api.serve import Workers
from api.settings import Settings
from tests.e2e.test_cli import flip_one_byte
from tests.integration.raw_access import RawAccess

_PATIENCE_SECONDS = 30.0


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + _PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"not within {_PATIENCE_SECONDS} s: {what}"
        time.sleep(0.05)


def _checkpoint_size(ledger: Ledger) -> int:
    with ledger.tree.reading() as cursor:
        latest = ledger.tree.latest_checkpoint(cursor)
    return 0 if latest is None else latest.size


class WorkersContract:
    @pytest.fixture
    def fast(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"checkpoint_every_seconds": 0.2})

    def test_the_workers_project_and_sign_what_another_process_appends(
        self, fast: Settings, ledger: Ledger
    ) -> None:
        application = ledger.application
        assert application.bootstrap_admin("root")
        application.register_principal(actor="root", name="aud", roles=["auditor"])
        assert _checkpoint_size(ledger) == 0  # the appender cut none
        workers = Workers(fast)

        workers.start()
        try:
            _eventually(lambda: projector(ledger).position() == 2, "projected 2")
            _eventually(lambda: _checkpoint_size(ledger) == 2, "a checkpoint of 2")
            application.register_principal(actor="root", name="bea", roles=["auditor"])
            _eventually(lambda: projector(ledger).position() == 3, "projected 3")
            _eventually(lambda: _checkpoint_size(ledger) == 3, "a checkpoint of 3")
        finally:
            workers.close()

        assert workers.failures() == []
        assert not workers.running()

    def test_close_stops_idle_workers_promptly(self, fast: Settings, ledger: Ledger) -> None:
        workers = Workers(fast)
        workers.start()
        time.sleep(0.5)

        started = time.monotonic()
        workers.close()

        assert time.monotonic() - started < 5
        assert not workers.running()

    def test_an_event_changed_in_the_database_stops_the_workers_and_says_so(
        self, fast: Settings, ledger: Ledger, raw: RawAccess
    ) -> None:
        application = ledger.application
        assert application.bootstrap_admin("root")
        principal = application.register_principal(actor="root", name="aud", roles=["auditor"])
        raw.set_state(principal, 1, flip_one_byte(raw.state(principal, 1)))
        workers = Workers(fast)

        workers.start()
        try:
            _eventually(lambda: len(workers.failures()) == 2, "both workers stopped")
        finally:
            workers.close()

        failures = sorted(workers.failures())
        assert failures[0].startswith("checkpoint timer stopped: "), failures
        assert failures[1].startswith("projection worker stopped: "), failures
        assert projector(ledger).position() < 2


class TestWorkersOnSQLite(WorkersContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestWorkersOnPostgres(WorkersContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
