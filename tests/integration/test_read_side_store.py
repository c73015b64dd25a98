"""The SQL read side passes the read side's storage contract on SQLite and PostgreSQL, whatever
the batch boundaries; and a batch is refused when another writer moved the read side on."""

from __future__ import annotations

import pytest

from api.composition import Ledger
from api.read_side import read_recorder, read_view
from projections.read_state import Position, ReadView
from projections.store.sql_batch import ConcurrentProjectionError, SqlBatch
from tests.contracts.read_side import Operation, ReadSideContract


def apply_in_batches(
    ledger: Ledger, history: list[tuple[str, list[Operation]]], batch: int
) -> ReadView:
    recorder = read_recorder(ledger)
    for start in range(0, len(history), batch):
        projected = SqlBatch(recorder, start)
        with recorder.reading() as reader:
            projected.reading_with(reader)
            for leaf in range(start, min(start + batch, len(history))):
                recorded_at, operations = history[leaf]
                projected.at(Position(leaf, recorded_at))
                for operation in operations:
                    operation(projected)
        with recorder.writing() as cursor:
            projected.write(cursor)
    return read_view(ledger)


class SqlReadSideContract(ReadSideContract):
    @pytest.fixture(autouse=True)
    def _ledger(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def apply_history(self, history: list[tuple[str, list[Operation]]], batch: int) -> ReadView:
        return apply_in_batches(self.ledger, history, batch)

    def test_a_batch_is_refused_when_the_read_side_moved_on_meanwhile(self, ledger: Ledger) -> None:
        recorder = read_recorder(ledger)
        first, second = SqlBatch(recorder, 0), SqlBatch(recorder, 0)
        for projected in (first, second):
            with recorder.reading() as reader:
                projected.reading_with(reader)
                projected.at(Position(0, "2026-03-01T09:00:00.000000Z"))
                projected.put("doc", "a", {"n": 1})
        with recorder.writing() as cursor:
            first.write(cursor)
        with (
            pytest.raises(ConcurrentProjectionError, match="moved from log size 0 to 1"),
            recorder.writing() as cursor,
        ):
            second.write(cursor)
        assert read_view(ledger).size() == 1
        assert len(read_view(ledger).documents("doc", 1)) == 1


class OnSQLite:
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class OnPostgres:
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


class TestOneEventPerBatchOnSQLite(OnSQLite, SqlReadSideContract):
    batch = 1


class TestThreeEventsPerBatchOnSQLite(OnSQLite, SqlReadSideContract):
    batch = 3


class TestOneBatchOnSQLite(OnSQLite, SqlReadSideContract):
    batch = 100


class TestOneEventPerBatchOnPostgres(OnPostgres, SqlReadSideContract):
    batch = 1


class TestFourEventsPerBatchOnPostgres(OnPostgres, SqlReadSideContract):
    batch = 4
