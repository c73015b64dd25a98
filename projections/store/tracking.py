"""Where the read side is stored, per engine: eventsourcing's tracking recorders, extended.

The read side's rows and its position (a ``Tracking`` of application ``READ_SIDE``, whose
``notification_id`` is the log size processed, not the library's notification id) are written
in one transaction, so a crash never leaves rows without their position or the other way round.
One writer at a time: SQLite's write lock (taken first, ``BEGIN IMMEDIATE``), PostgreSQL's
transaction-scoped advisory lock ``PROJECTION_LOCK``; inside it the writer checks the position
is still the one it projected from, so no event is applied twice, whoever else projects.
Tables come from the Alembic migration ``0004``, never from the library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.sql import SQL

from ledger.store.sqlite import immediate_write_transaction

__all__ = [
    "POSTGRES_TRACKING_TABLE",
    "PROJECTION_LOCK",
    "READ_SIDE",
    "READ_TABLES",
    "SQLITE_TRACKING_TABLE",
    "PostgresReadSideRecorder",
    "ReadSideRecorder",
    "SQLiteReadSideRecorder",
]

READ_TABLES = ("read_documents", "read_keys", "read_edges", "read_entries", "read_log_times")
"""The read side's own tables (migration 0004), besides each engine's tracking table."""

SQLITE_TRACKING_TABLE = "tracking"
"""eventsourcing's tracking table on SQLite (its name is fixed by the library)."""

POSTGRES_TRACKING_TABLE = "read_tracking"
"""The read side's tracking table on PostgreSQL."""

READ_SIDE = "govledger.read_side"
"""The application name the read side's position is tracked under."""

PROJECTION_LOCK = int.from_bytes(b"gl:reads", "big")
"""PostgreSQL advisory lock every writer of the read side holds while it writes."""


class Cursor(Protocol):
    """The DB-API cursor both engines hand out (rows readable by column name)."""

    def execute(self, statement: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, statement: Any, params: Any, /) -> Any: ...

    def fetchall(self) -> Any: ...

    def fetchone(self) -> Any: ...


class ReadSideRecorder(Protocol):
    """What the read side needs of its database."""

    placeholder: str
    tracking_table: str

    def reading(self) -> AbstractContextManager[Cursor]:
        """A read-only transaction."""

    def writing(self) -> AbstractContextManager[Cursor]:
        """A committing transaction that holds the read side's write lock."""

    def position_in(self, cursor: Cursor) -> int:
        """The log size processed, as this transaction sees it."""

    def record_position(self, cursor: Cursor, size: int) -> None:
        """Record ``size`` as processed, in this transaction."""


class SQLiteReadSideRecorder(SQLiteTrackingRecorder):
    """The read side in the ledger's SQLite database (the ``tracking`` table)."""

    placeholder = "?"
    tracking_table = SQLITE_TRACKING_TABLE

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        """A read-only transaction."""
        with self.datastore.transaction(commit=False) as cursor:
            yield cursor

    def writing(self) -> AbstractContextManager[Cursor]:
        """A committing transaction begun with the write lock held."""
        return immediate_write_transaction(self.datastore)

    def position_in(self, cursor: Cursor) -> int:
        """The log size processed."""
        cursor.execute(self.select_max_tracking_id_statement, (READ_SIDE,))
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def record_position(self, cursor: Cursor, size: int) -> None:
        """Record ``size`` as processed (the library refuses a position that does not advance)."""
        self._insert_tracking(cursor, Tracking(READ_SIDE, size))  # type: ignore[arg-type]


class PostgresReadSideRecorder(PostgresTrackingRecorder):
    """The read side in the ledger's PostgreSQL database (the ``read_tracking`` table)."""

    placeholder = "%s"

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        kwargs["tracking_table_name"] = POSTGRES_TRACKING_TABLE
        super().__init__(datastore, **kwargs)
        self.tracking_table = POSTGRES_TRACKING_TABLE

    @contextmanager
    def reading(self) -> Iterator[Cursor]:
        """A read-only transaction."""
        with self.datastore.transaction(commit=False) as cursor:
            yield cursor

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        """A committing transaction holding ``PROJECTION_LOCK``."""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(SQL("SELECT pg_advisory_xact_lock({})").format(PROJECTION_LOCK))
            yield cursor

    def position_in(self, cursor: Cursor) -> int:
        """The log size processed."""
        cursor.execute(self.max_tracking_id_statement, (READ_SIDE,))
        row = cursor.fetchone()
        return int(row["max"]) if row and row["max"] is not None else 0

    def record_position(self, cursor: Cursor, size: int) -> None:
        """Record ``size`` as processed (the library refuses a position that does not advance)."""
        self._insert_tracking(cursor, Tracking(READ_SIDE, size))  # type: ignore[arg-type]
