"""SQLite connections for the signed store: the library's, with a real statement cache.

eventsourcing 9.5 opens SQLite connections with ``cached_statements=True``, which the
``sqlite3`` module reads as a cache of one statement. The signed store runs several statements
per transaction (begin, insert the events, insert the leaves), so with one slot each would be
compiled again on every write. These connections keep the library's settings otherwise: URI
names, autocommit mode (transactions are begun explicitly), WAL journal, row objects.

Each connection remembers its database and lock timeout, so a writer that waited the whole
timeout for the write lock is told so in words (``StoreBusyError``), not by a driver error.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
)

from ledger.errors import StoreBusyError

__all__ = ["use_statement_cache", "write_lock_refused"]

_STATEMENT_CACHE_SIZE = 64


class _StatementCachingPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        timeout = self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=_STATEMENT_CACHE_SIZE,
                timeout=timeout,
            )
        except (sqlite3.Error, TypeError) as exc:
            raise InterfaceError(exc) from exc
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            connection.execute("PRAGMA journal_mode=WAL;")
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return _LedgerConnection(
            connection, max_age=self.max_age, db_name=self.db_name, lock_timeout=timeout
        )


class _LedgerConnection(SQLiteConnection):
    """The library's connection, knowing its database and lock timeout for error messages."""

    def __init__(
        self,
        sqlite_conn: sqlite3.Connection,
        *,
        max_age: float | None,
        db_name: str,
        lock_timeout: float,
    ) -> None:
        super().__init__(sqlite_conn=sqlite_conn, max_age=max_age)
        self.db_name = db_name
        self.lock_timeout = lock_timeout


def use_statement_cache(datastore: SQLiteDatastore) -> None:
    """Give ``datastore`` a pool whose connections cache their compiled statements.

    Call before the datastore has handed out a connection (the pool opens them lazily).
    """
    previous = datastore.pool
    datastore.pool = _StatementCachingPool(
        db_name=previous.db_name,
        lock_timeout=previous.lock_timeout,
        pool_size=previous.pool_size,
        max_overflow=previous.max_overflow,
        pool_timeout=previous.pool_timeout,
        max_age=previous.max_age,
        pre_ping=previous.pre_ping,
    )
    previous.close()


def write_lock_refused(connection: SQLiteConnection, error: sqlite3.Error) -> Exception:
    """What to raise when ``BEGIN IMMEDIATE`` on ``connection`` failed with ``error``.

    SQLITE_BUSY or SQLITE_LOCKED after the connection's timeout: StoreBusyError, naming the
    database and the seconds waited. Anything else: the library's OperationalError, as its own
    transactions would raise.
    """
    if getattr(error, "sqlite_errorcode", -1) & 0xFF not in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    ):
        return OperationalError(error)
    name = getattr(connection, "db_name", "the ledger database")
    seconds = getattr(connection, "lock_timeout", SQLITE3_DEFAULT_LOCK_TIMEOUT)
    return StoreBusyError(
        f"the ledger database {name} is locked by another writer for more than {seconds:g} s; "
        "retry when that writer has finished (a long `govledger` command or another process)"
    )
