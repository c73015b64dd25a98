"""Signed event store on PostgreSQL, the production system of record.

The library serialises writers with ``LOCK TABLE ... IN EXCLUSIVE MODE``, which needs UPDATE,
DELETE or TRUNCATE on the table: more than a least-privilege service role (SELECT and INSERT
only) holds. Every ledger writer here takes a transaction-scoped advisory lock instead, which
any role may take and which serialises the writers just the same. This recorder seals the batch
and writes the leaf rows under that lock and in the same transaction, so the leaf index is dense
and its order is the commit order. The library's database-function insert path skips the lock,
so it is refused.

Concurrent appends go through a group committer (``group_commit``): calls that arrive while a
transaction is in flight are written together in the next one, under one lock and one commit,
each in its own savepoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import Environment, EnvType, retry
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from ledger.errors import LedgerError
from ledger.keys.history import EVENT_KEY_ROTATED, LOG_KEY_ROTATED
from ledger.store.components import SignedStoreParts
from ledger.store.group_commit import GroupCommitter, PendingAppend
from ledger.store.log_entries import LogEntry
from ledger.store.sealing import PreviousDigest, SealedEvent
from ledger.store.signed_event import envelope_digest
from ledger.store.tables import EVENTS_TABLE, LEAVES_TABLE
from ledger.tlog.checkpointer import cut_checkpoint_if_due
from ledger.tlog.tree_store import TreeStore

__all__ = [
    "APPEND_LOCK",
    "CHECKPOINT_LOCK",
    "SignedPostgresApplicationRecorder",
    "SignedPostgresFactory",
]

# Advisory lock keys (bigint): one for the writers of events and leaves, one for checkpoint
# cutters, so a checkpoint never stalls an append. Spelled from ASCII so they read in pg_locks.
APPEND_LOCK = int.from_bytes(b"gl:event", "big")
CHECKPOINT_LOCK = int.from_bytes(b"gl:check", "big")
_ROTATION_TOPICS = frozenset({EVENT_KEY_ROTATED, LOG_KEY_ROTATED})


class SignedPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Stores signed events and their log leaves in one PostgreSQL transaction."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = EVENTS_TABLE,
        parts: SignedStoreParts | None = None,
    ) -> None:
        if datastore.enable_db_functions:
            raise ValueError("POSTGRES_ENABLE_DB_FUNCTIONS bypasses the ledger's write lock")
        super().__init__(datastore, events_table_name=events_table_name)
        if parts is None:
            raise ValueError("a signed recorder needs its store parts")
        self.sealer = parts.sealer()
        self.digests = parts.digests
        self.checkpointer = parts.checkpointer(self.tree_store())
        self.committer = GroupCommitter(
            self._write_alone, self._write_together, enabled=parts.group_commit
        )
        schema = Identifier(datastore.schema)
        self._select_state = SQL(
            "SELECT state FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(events_table_name))
        # The server numbers the leaves from MAX + 1 under the table lock: dense, in commit
        # order, and without a round trip to read the next index first.
        self._insert_leaves = SQL(
            "INSERT INTO {schema}.{leaves} "
            "(leaf_index, originator_id, originator_version, leaf_hash) "
            "SELECT head.next + batch.position - 1, batch.id, batch.version, batch.hash "
            "FROM (SELECT COALESCE(MAX(leaf_index) + 1, 0) AS next FROM {schema}.{leaves}) head, "
            "unnest(%s::uuid[], %s::bigint[], %s::bytea[]) "
            "WITH ORDINALITY AS batch(id, version, hash, position)"
        ).format(schema=schema, leaves=Identifier(LEAVES_TABLE))
        # lock_timeout bounds the wait for the advisory lock too (0, the default: no bound).
        self._lock_statements = [
            SQL("SET LOCAL lock_timeout = '{}s'").format(datastore.lock_timeout),
            SQL("SELECT pg_advisory_xact_lock({})").format(APPEND_LOCK),
        ]
        self._insert_leaf = SQL(
            "INSERT INTO {schema}.{leaves} "
            "(leaf_index, originator_id, originator_version, leaf_hash) "
            "SELECT COALESCE(MAX(leaf_index) + 1, 0), %s, %s, %s FROM {schema}.{leaves}"
        ).format(schema=schema, leaves=Identifier(LEAVES_TABLE))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events and their leaves in a transaction; remember what was committed.

        Calls made while another is being written share the next transaction (group commit);
        each still gets its own notification ids or its own exception.
        """
        pending = self.committer.submit(PendingAppend(stored_events, kwargs))
        if pending.error is not None:
            raise pending.error
        cut_checkpoint_if_due(self.checkpointer, len(pending.sealed))
        return pending.notification_ids

    def _write_alone(self, batch: Sequence[PendingAppend]) -> None:
        """One call in its own (pipelined) transaction: the write path without group commit."""
        (pending,) = batch
        pending.notification_ids = super().insert_events(
            pending.events, sealed=pending.sealed, **pending.kwargs
        )
        self.digests.remember_sealed(pending.sealed)

    def _write_together(self, batch: Sequence[PendingAppend]) -> None:
        """Calls in one transaction: all in one pipelined insert, or each in a savepoint.

        The common case (no conflict) costs one pipelined transaction, as a solo call does. If
        the insert meets a conflict, that transaction is rolled back and the batch written
        again with a savepoint per call, so only the conflicting call fails. A batch with a key
        rotation takes the savepoint path at once: a rotation is sealed only once.
        """
        if not any(e.topic in _ROTATION_TOPICS for p in batch for e in p.events):
            try:
                self._write_in_one_insert(batch)
            except IntegrityError:
                pass
            else:
                return
        self._write_in_savepoints(batch)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _write_in_one_insert(self, batch: Sequence[PendingAppend]) -> None:
        """Seal each call (chaining to earlier calls of the batch), insert all rows at once.

        Raises the library's IntegrityError when any call conflicts; nothing is then stored.
        """
        for pending in batch:
            pending.sealed.clear()
            pending.error = None
        failure: Exception | None = None
        ids: Sequence[int] | None = None
        sealed: list[SealedEvent] = []
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                with conn.cursor() as curs:
                    self._lock_table(curs)
                    self._notify_channel(curs)
                    sealed = self._seal_each(curs, batch)
                    if sealed:
                        self._write_leaves(curs, sealed)
                if sealed:
                    with conn.cursor() as curs:
                        try:
                            PostgresAggregateRecorder._insert_stored_events(
                                self, curs, [s.stored for s in sealed]
                            )
                            pipeline.sync()  # a conflict raises here, not at commit
                            ids = self._fetch_ids_after_insert_events(curs, _stored_of(sealed))
                        except Exception as exc:  # raised after the pipeline, as the library does
                            failure = exc
            if failure is not None:
                raise failure
        position = 0
        written = [p for p in batch if p.error is None]
        for pending in written:
            count = len(pending.sealed)
            pending.notification_ids = list(ids or [])[position : position + count]
            position += count
        for pending in written:
            self.digests.remember_sealed(pending.sealed)

    def _seal_each(
        self, curs: Cursor[DictRow], batch: Sequence[PendingAppend]
    ) -> list[SealedEvent]:
        """Seal every call of the batch in order; a call the sealer refuses fails alone."""
        earlier: dict[tuple[UUID | str, int], str] = {}
        everything: list[SealedEvent] = []
        with curs.connection.cursor() as side:
            read_back = self._previous_digest(side)

            def previous_digest(originator_id: UUID | str, version: int) -> str | None:
                return earlier.get((originator_id, version)) or read_back(originator_id, version)

            for pending in batch:
                try:
                    sealed = self.sealer.seal(pending.events, previous_digest=previous_digest)
                except LedgerError as exc:
                    pending.error = exc
                    continue
                pending.sealed[:] = sealed
                everything.extend(sealed)
                for event in sealed:
                    key = (event.stored.originator_id, event.stored.originator_version)
                    earlier[key] = event.digest
        return everything

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _write_in_savepoints(self, batch: Sequence[PendingAppend]) -> None:
        """Calls in one transaction, each in a savepoint: a call that fails is rolled back alone.

        A call chaining to an event written earlier in the batch reads it back in this
        transaction; digests are remembered only once the whole transaction has committed.
        """
        written: list[PendingAppend] = []
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._lock_table(curs)
                self._notify_channel(curs)
            for pending in batch:
                pending.sealed.clear()  # a retried attempt starts afresh
                pending.error = None
                try:
                    with conn.transaction(), conn.cursor() as curs:
                        self._seal_and_insert(
                            curs, pending.events, sealed=pending.sealed, **pending.kwargs
                        )
                        ids = self._fetch_ids_after_insert_events(curs, pending.events)
                except (psycopg.IntegrityError, LedgerError) as exc:
                    pending.sealed.clear()
                    pending.error = _as_raised_alone(exc)
                    continue
                pending.notification_ids = ids
                written.append(pending)
        for pending in written:
            self.digests.remember_sealed(pending.sealed)

    def tree_store(self) -> TreeStore:
        """The stored Merkle tree and checkpoints of this database."""
        return TreeStore(
            reading=self._tuple_rows_reading, writing=self._checkpoint_transaction, placeholder="%s"
        )

    @contextmanager
    def _tuple_rows_reading(self) -> Iterator[Cursor[Any]]:
        with self.datastore.get_connection() as conn, conn.transaction(force_rollback=True):
            yield conn.cursor(row_factory=tuple_row)

    @contextmanager
    def _checkpoint_transaction(self) -> Iterator[Cursor[Any]]:
        with self.datastore.get_connection() as conn, conn.transaction():
            curs = conn.cursor(row_factory=tuple_row)
            # One checkpoint cutter at a time; appends go on (they take APPEND_LOCK).
            curs.execute(SQL("SELECT pg_advisory_xact_lock({})").format(CHECKPOINT_LOCK))
            yield curs

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        """Serialise the writers of events and leaves until this transaction ends.

        Replaces the library's ``LOCK TABLE ... IN EXCLUSIVE MODE`` (see the module docstring):
        the next writer waits for this transaction to commit, so notification ids and leaf
        indexes are handed out in commit order and readers never pass a gap filled later.
        """
        for statement in self._lock_statements:
            curs.execute(statement, prepare=True)

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        sealed: list[SealedEvent] | None = None,
        **kwargs: Any,
    ) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        self._seal_and_insert(curs, stored_events, sealed=sealed, **kwargs)

    def _seal_and_insert(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        sealed: list[SealedEvent] | None = None,
        **kwargs: Any,
    ) -> None:
        """Seal the events and insert them and their leaves; the caller holds the lock."""
        with curs.connection.cursor() as side:
            batch = self.sealer.seal(stored_events, previous_digest=self._previous_digest(side))
            # The library reads the notification ids from ``curs`` afterwards: the leaves go
            # on the side cursor, the events last on ``curs``.
            self._write_leaves(side, batch)
        PostgresAggregateRecorder._insert_stored_events(
            self, curs, [s.stored for s in batch], **kwargs
        )
        if sealed is not None:
            sealed[:] = batch  # a retried attempt replaces what a failed one sealed

    def _previous_digest(self, side: Cursor[DictRow]) -> PreviousDigest:
        """Digests from the cache, else read back in the transaction of ``side``."""

        def previous_digest(originator_id: UUID | str, version: int) -> str | None:
            remembered = self.digests.get(originator_id, version)
            if remembered is not None:
                return remembered
            side.execute(self._select_state, (originator_id, version))
            found = side.fetchone()
            return None if found is None else envelope_digest(bytes(found["state"]))

        return previous_digest

    def _write_leaves(self, curs: Cursor[DictRow], batch: Sequence[SealedEvent]) -> None:
        if len(batch) == 1:
            (only,) = batch
            curs.execute(
                self._insert_leaf,
                (only.stored.originator_id, only.stored.originator_version, only.leaf_hash),
            )
            return
        curs.execute(
            self._insert_leaves,
            (
                [s.stored.originator_id for s in batch],
                [s.stored.originator_version for s in batch],
                [s.leaf_hash for s in batch],
            ),
        )

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        """Leaves from ``start`` in index order, each with its stored event if present."""
        statement = SQL(
            "SELECT l.leaf_index, l.leaf_hash, l.originator_id, l.originator_version, "
            "e.originator_id AS event_id, e.originator_version AS event_version, "
            "e.topic, e.state, e.originator_id IS NOT NULL AS present "
            "FROM {schema}.{leaves} l LEFT JOIN {schema}.{events} e "
            "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
            "WHERE l.leaf_index >= %s ORDER BY l.leaf_index LIMIT %s"
        ).format(
            schema=Identifier(self.datastore.schema),
            leaves=Identifier(LEAVES_TABLE),
            events=Identifier(self.events_table_name),
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (start, limit))
            return [_log_entry(row) for row in curs.fetchall()]

    def leaf_of(self, originator_id: UUID, version: int) -> LogEntry | None:
        """The leaf of one stored event, with the event, or None when it has none."""
        statement = SQL(
            "SELECT leaf_index FROM {}.{} WHERE originator_id = %s AND originator_version = %s"
        ).format(Identifier(self.datastore.schema), Identifier(LEAVES_TABLE))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (originator_id, version))
            row = curs.fetchone()
        if row is None:
            return None
        (entry,) = self.select_log_entries(int(row["leaf_index"]), 1)
        return entry

    def envelope_of(self, originator_id: UUID | str, version: int) -> bytes | None:
        """The stored state (envelope) of one event, raw, or None when there is no such row."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_state, (originator_id, version))
            row = curs.fetchone()
        return None if row is None else bytes(row["state"])

    def count_events(self) -> int:
        """The number of stored events."""
        statement = SQL("SELECT count(*) AS n FROM {}.{}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement)
            row = curs.fetchone()
            assert row is not None
            return int(row["n"])

    def select_unlogged_events(self, offset: int, limit: int) -> Sequence[StoredEvent]:
        """Stored event rows that no leaf names, in insertion order, raw."""
        statement = SQL(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state "
            "FROM {schema}.{events} e LEFT JOIN {schema}.{leaves} l "
            "ON e.originator_id = l.originator_id AND e.originator_version = l.originator_version "
            "WHERE l.leaf_index IS NULL ORDER BY e.notification_id LIMIT %s OFFSET %s"
        ).format(
            schema=Identifier(self.datastore.schema),
            leaves=Identifier(LEAVES_TABLE),
            events=Identifier(self.events_table_name),
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, (limit, offset))
            return [
                StoredEvent(
                    row["originator_id"], row["originator_version"], row["topic"], row["state"]
                )
                for row in curs.fetchall()
            ]


def _stored_of(sealed: Sequence[SealedEvent]) -> list[StoredEvent]:
    """The stored (signed) events of sealed events."""
    return [s.stored for s in sealed]


def _as_raised_alone(exc: Exception) -> Exception:
    """The exception a solo call would raise: the library turns the driver's into its own."""
    if isinstance(exc, psycopg.IntegrityError):
        converted = IntegrityError(str(exc))
        converted.__cause__ = exc
        return converted
    return exc


def _log_entry(row: DictRow) -> LogEntry:
    """A leaf row and its event row as stored: ``verify_store`` checks every value."""
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


class SignedPostgresFactory(PostgresFactory):
    """Infrastructure factory for the signed store on PostgreSQL (``PERSISTENCE_MODULE`` topic).

    Tables come from the Alembic migrations, never from the library.
    """

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.parts = SignedStoreParts(self.env)

    def mapper(
        self,
        transcoder: Transcoder | None = None,
        mapper_class: type[Mapper[Any]] | None = None,
    ) -> Mapper[Any]:
        return self.parts.mapper(transcoder or self.transcoder())

    def application_recorder(self) -> ApplicationRecorder:
        return SignedPostgresApplicationRecorder(
            datastore=self.datastore, events_table_name=EVENTS_TABLE, parts=self.parts
        )

    def env_create_table(self) -> bool:
        return False
