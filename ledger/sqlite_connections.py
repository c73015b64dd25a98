"""SQLite connections for the signed store: the library's, with a real statement cache.

eventsourcing 9.5 opens SQLite connections with ``cached_statements=True``, which the
``sqlite3`` module reads as a cache of one statement. The signed store runs several statements
per transaction (begin, insert the events, insert the leaves), so with one slot each would be
compiled again on every write. These connections keep the library's settings otherwise: URI
names, autocommit mode (transactions are begun explicitly), WAL journal, row objects.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
)

__all__ = ["use_statement_cache"]

_STATEMENT_CACHE_SIZE = 64


class _StatementCachingPool(SQLiteConnectionPool):
    def _create_connection(self) -> SQLiteConnection:
        try:
            connection = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=_STATEMENT_CACHE_SIZE,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as exc:
            raise InterfaceError(exc) from exc
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            connection.execute("PRAGMA journal_mode=WAL;")
            self.is_journal_mode_wal = True
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=self.max_age)


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
