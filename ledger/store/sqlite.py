"""Signed event store on SQLite, the embedded default.

The leaf rows are written by ``_insert_events``, inside the transaction the library opens for
the event rows. That transaction starts with ``BEGIN IMMEDIATE`` rather than the library's plain
``BEGIN``: it takes SQLite's write lock before reading the previous digests and the next leaf
index, so writers on other connections or processes wait their turn (up to the lock timeout)
instead of failing when they find their snapshot stale.

Concurrent appends go through a group committer (``group_commit``): calls that arrive while a
transaction is in flight are written together in the next one, each in its own savepoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)
from eventsourcing.utils import Environment, EnvType

from ledger.errors import LedgerError, VerificationError
from ledger.store.components import SignedStoreParts
from ledger.store.group_commit import GroupCommitter, PendingAppend
from ledger.store.log_entries import LogEntry
from ledger.store.sealing import SealedEvent
from ledger.store.signed_event import envelope_digest, stored_aggregate_id
from ledger.store.sqlite_connections import use_statement_cache, write_lock_refused
from ledger.store.tables import EVENTS_TABLE, LEAVES_TABLE
from ledger.tlog.checkpointer import cut_checkpoint_if_due
from ledger.tlog.tree_store import TreeStore

__all__ = ["SignedSQLiteApplicationRecorder", "SignedSQLiteFactory", "immediate_write_transaction"]


class SignedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Stores signed events and their log leaves in one SQLite transaction."""

    def __init__(
        self,
        datastore: SQLiteDatastore,
        events_table_name: str = EVENTS_TABLE,
        *,
        parts: SignedStoreParts | None = None,
    ) -> None:
        super().__init__(datastore, events_table_name)
        if parts is None:
            raise ValueError("a signed recorder needs its store parts")
        self.sealer = parts.sealer()
        self.digests = parts.digests
        self.checkpointer = parts.checkpointer(self.tree_store())
        self.committer = GroupCommitter(
            self._write_alone, self._write_together, enabled=parts.group_commit
        )
        self._select_state = (
            f"SELECT state FROM {events_table_name} WHERE originator_id=? AND originator_version=?"
        )
        self._insert_leaf = (
            f"INSERT INTO {LEAVES_TABLE} (leaf_index, originator_id, originator_version, leaf_hash)"
            f" VALUES ((SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {LEAVES_TABLE}), ?, ?, ?)"
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events and their leaves in a transaction that holds the write lock.

        Calls made while another is being written share the next transaction (group commit);
        each still gets its own notification ids or its own exception.
        """
        pending = self.committer.submit(PendingAppend(stored_events, kwargs))
        if pending.error is not None:
            raise pending.error
        cut_checkpoint_if_due(self.checkpointer, len(pending.sealed))
        return pending.notification_ids

    def _write_alone(self, batch: Sequence[PendingAppend]) -> None:
        """One call in its own transaction: the write path without group commit."""
        (pending,) = batch
        with self._write_transaction() as cursor:
            pending.notification_ids = self._insert_events(
                cursor, pending.events, sealed=pending.sealed, **pending.kwargs
            )
        self.digests.remember_sealed(pending.sealed)

    def _write_together(self, batch: Sequence[PendingAppend]) -> None:
        """Calls in one transaction, each in a savepoint: a call that fails is rolled back alone.

        A call chaining to an event written earlier in the batch reads it back in this
        transaction; digests are remembered only once the whole transaction has committed.
        """
        written: list[PendingAppend] = []
        with self._write_transaction() as cursor:
            for pending in batch:
                cursor.execute("SAVEPOINT append")
                try:
                    ids = self._insert_events(
                        cursor, pending.events, sealed=pending.sealed, **pending.kwargs
                    )
                except (sqlite3.IntegrityError, LedgerError) as exc:
                    cursor.execute("ROLLBACK TO SAVEPOINT append")
                    cursor.execute("RELEASE SAVEPOINT append")
                    pending.sealed.clear()
                    pending.error = _as_raised_alone(exc)
                    continue
                cursor.execute("RELEASE SAVEPOINT append")
                pending.notification_ids = ids
                written.append(pending)
        for pending in written:
            self.digests.remember_sealed(pending.sealed)

    def tree_store(self) -> TreeStore:
        """The stored Merkle tree and checkpoints of this database."""
        return TreeStore(
            reading=self._tuple_rows_reading, writing=self._tuple_rows_writing, placeholder="?"
        )

    @contextmanager
    def _tuple_rows_reading(self) -> Iterator[SQLiteCursor]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.sqlite_cursor.row_factory = None
            yield cursor

    @contextmanager
    def _tuple_rows_writing(self) -> Iterator[SQLiteCursor]:
        with self._write_transaction() as cursor:
            cursor.sqlite_cursor.row_factory = None
            yield cursor

    def _write_transaction(self) -> AbstractContextManager[SQLiteCursor]:
        return immediate_write_transaction(self.datastore)

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        sealed: list[SealedEvent] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        def previous_digest(originator_id: UUID | str, version: int) -> str | None:
            remembered = self.digests.get(originator_id, version)
            if remembered is not None:
                return remembered
            c.execute(self._select_state, (_id(originator_id), version))
            row = c.fetchone()
            return None if row is None else envelope_digest(bytes(row[0]))

        batch = self.sealer.seal(stored_events, previous_digest=previous_digest)
        notification_ids = []
        for event in batch:
            stored = event.stored
            originator_id, version = _id(stored.originator_id), stored.originator_version
            c.execute(
                self.insert_events_statement, (originator_id, version, stored.topic, stored.state)
            )
            notification_ids.append(c.lastrowid)
            # The leaf takes the next index inside the write lock: dense, in commit order.
            c.execute(self._insert_leaf, (originator_id, version, event.leaf_hash))
        if sealed is not None:
            sealed.extend(batch)
        return notification_ids

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        """Leaves from ``start`` in index order, each with its stored event if present, raw."""
        with self.datastore.transaction(commit=False) as c, _lenient_text(c):
            c.execute(
                "SELECT l.leaf_index, l.leaf_hash, l.originator_id, l.originator_version, "
                "e.originator_id AS event_id, e.originator_version AS event_version, "
                "e.topic, e.state, e.originator_id IS NOT NULL AS present "
                f"FROM {LEAVES_TABLE} l LEFT JOIN {self.events_table_name} e "
                "ON e.originator_id = l.originator_id "
                "AND e.originator_version = l.originator_version "
                "WHERE l.leaf_index >= ? ORDER BY l.leaf_index LIMIT ?",
                (start, limit),
            )
            return [_log_entry(row) for row in c.fetchall()]

    def leaf_of(self, originator_id: UUID, version: int) -> LogEntry | None:
        """The leaf of one stored event, with the event, or None when it has none."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT leaf_index FROM {LEAVES_TABLE} "
                "WHERE originator_id = ? AND originator_version = ?",
                (_id(originator_id), version),
            )
            row = c.fetchone()
        if row is None:
            return None
        (entry,) = self.select_log_entries(int(row["leaf_index"]), 1)
        return entry

    def envelope_of(self, originator_id: UUID | str, version: int) -> bytes | None:
        """The stored state (envelope) of one event, raw, or None when there is no such row."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._select_state, (_id(originator_id), version))
            row = c.fetchone()
        return None if row is None else bytes(row[0])

    def count_events(self) -> int:
        """The number of stored events."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) FROM {self.events_table_name}")
            return int(c.fetchone()[0])

    def select_unlogged_events(self, offset: int, limit: int) -> Sequence[StoredEvent]:
        """Stored event rows that no leaf names, in insertion order, raw."""
        with self.datastore.transaction(commit=False) as c, _lenient_text(c):
            c.execute(
                f"SELECT e.* FROM {self.events_table_name} e LEFT JOIN {LEAVES_TABLE} l "
                "ON e.originator_id = l.originator_id "
                "AND e.originator_version = l.originator_version "
                "WHERE l.leaf_index IS NULL ORDER BY e.rowid LIMIT ? OFFSET ?",
                (limit, offset),
            )
            return [
                StoredEvent(
                    row["originator_id"], row["originator_version"], row["topic"], row["state"]
                )
                for row in c.fetchall()
            ]

    def convert_originator_id(self, originator_id: str) -> UUID | str:
        """The row's id as a UUID when spelt as the application writes it (32 lowercase hex).

        Any other spelling stays text, which the mapper's ``open_event`` refuses: the library
        would otherwise normalise a re-spelt id and the application would read a row that
        verification reports.
        """
        try:
            return UUID(stored_aggregate_id(originator_id))
        except VerificationError:
            return originator_id


@contextmanager
def immediate_write_transaction(datastore: SQLiteDatastore) -> Iterator[SQLiteCursor]:
    """A committing transaction on the writer connection, begun with the write lock held.

    The library begins deferred transactions; one that reads and then writes fails at once
    when another connection committed meanwhile. Taking the lock first makes writers queue.
    """
    pool = datastore.pool
    connection = pool.get_connection(is_writer=True)
    try:
        with _ImmediateTransaction(connection, commit=True) as cursor:
            try:
                yield cursor
            finally:
                cursor.sqlite_cursor.close()
    finally:
        pool.put_connection(connection)


class _ImmediateTransaction(SQLiteTransaction):
    """The library's transaction, begun with the write lock already held."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # e.g. the lock timeout passed: say so
            cursor.sqlite_cursor.close()
            raise write_lock_refused(self.connection, exc) from exc
        return cursor


class SignedSQLiteFactory(SQLiteFactory):
    """Infrastructure factory for the signed store on SQLite (``PERSISTENCE_MODULE`` topic).

    Tables come from the Alembic migrations, never from the library.
    """

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        use_statement_cache(self.datastore)
        self.parts = SignedStoreParts(self.env)

    def mapper(
        self,
        transcoder: Transcoder | None = None,
        mapper_class: type[Mapper[Any]] | None = None,
    ) -> Mapper[Any]:
        return self.parts.mapper(transcoder or self.transcoder())

    def application_recorder(self) -> ApplicationRecorder:
        return SignedSQLiteApplicationRecorder(
            datastore=self.datastore, events_table_name=EVENTS_TABLE, parts=self.parts
        )

    def env_create_table(self) -> bool:
        return False


def _log_entry(row: Any) -> LogEntry:
    """A leaf row and its event row as stored: ``verify_store`` checks every value's type."""
    stored = (
        StoredEvent(row["event_id"], row["event_version"], row["topic"], row["state"])
        if row["present"]
        else None
    )
    return LogEntry(
        leaf_index=row["leaf_index"],
        leaf_hash=row["leaf_hash"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        stored=stored,
    )


@contextmanager
def _lenient_text(cursor: SQLiteCursor) -> Iterator[None]:
    """Read TEXT that is not UTF-8 as text with surrogates instead of failing the whole fetch.

    SQLite stores whatever bytes it is given; the strict checks then refuse such a value and
    name its row, where the driver's decoding error would abort verification.
    """
    connection = cursor.sqlite_cursor.connection
    text_factory = connection.text_factory
    connection.text_factory = _surrogate_escaped
    try:
        yield
    finally:
        connection.text_factory = text_factory


def _surrogate_escaped(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _as_raised_alone(exc: Exception) -> Exception:
    """The exception a solo call would raise: the library turns the driver's into its own."""
    if isinstance(exc, sqlite3.IntegrityError):
        converted = IntegrityError(exc)
        converted.__cause__ = exc
        return converted
    return exc


def _id(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id
