"""Raw SQL access to a ledger database, as a database superuser (an attacker) would have.

``bypass_append_only`` disables the append-only triggers for one statement: on SQLite by dropping
and recreating them, on PostgreSQL with ``session_replication_role = replica``.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from api.database import Database


class RawAccess(ABC):
    """Engine-neutral raw statements; SQL uses ``?`` placeholders."""

    @abstractmethod
    def execute(
        self, statement: str, params: Sequence[Any] = (), *, bypass_append_only: bool = False
    ) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows."""

    @abstractmethod
    def id_param(self, aggregate_id: UUID) -> Any:
        """The aggregate id as the engine stores it."""

    def state(self, aggregate_id: UUID, version: int) -> bytes:
        rows = self.execute(
            "SELECT state FROM ledger_events WHERE originator_id = ? AND originator_version = ?",
            (self.id_param(aggregate_id), version),
        )
        return bytes(rows[0][0])

    def set_state(self, aggregate_id: UUID, version: int, state: bytes) -> None:
        self.execute(
            "UPDATE ledger_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (state, self.id_param(aggregate_id), version),
            bypass_append_only=True,
        )

    def leaves(self) -> list[tuple[int, int, bytes]]:
        """(leaf_index, originator_version, leaf_hash) in index order."""
        rows = self.execute(
            "SELECT leaf_index, originator_version, leaf_hash FROM ledger_leaves "
            "ORDER BY leaf_index"
        )
        return [(int(i), int(v), bytes(h)) for i, v, h in rows]

    def count(self, table: str) -> int:
        return int(self.execute(f"SELECT count(*) FROM {table}")[0][0])


class SQLiteRawAccess(RawAccess):
    def __init__(self, path: Path) -> None:
        self.path = path

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, bypass_append_only: bool = False
    ) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            triggers: list[tuple[str, str]] = []
            if bypass_append_only:
                triggers = connection.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                ).fetchall()
                for name, _ in triggers:
                    connection.execute(f"DROP TRIGGER {name}")
            try:
                return connection.execute(statement, params).fetchall()
            finally:
                for _, definition in triggers:
                    connection.execute(definition)
        finally:
            connection.close()

    def id_param(self, aggregate_id: UUID) -> Any:
        return aggregate_id.hex


class PostgresRawAccess(RawAccess):
    def __init__(self, database: Database) -> None:
        self.conninfo = database.libpq_conninfo()

    def execute(
        self, statement: str, params: Sequence[Any] = (), *, bypass_append_only: bool = False
    ) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            if bypass_append_only:
                connection.execute("SET session_replication_role = replica")
            cursor = connection.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def id_param(self, aggregate_id: UUID) -> Any:
        return aggregate_id


def raw_access_for(database: Database) -> RawAccess:
    if database.engine == "sqlite":
        assert database.sqlite_path is not None
        return SQLiteRawAccess(database.sqlite_path)
    return PostgresRawAccess(database)
