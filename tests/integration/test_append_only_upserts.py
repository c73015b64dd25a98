"""Finding 5: an upsert cannot overwrite a row of any ledger table, on either engine.

On SQLite ``REPLACE INTO`` and ``INSERT OR REPLACE`` delete the conflicting row before inserting
theirs, and that implicit delete fires no DELETE trigger (unless the connection turned on
``recursive_triggers``, which an attacker would not). On PostgreSQL the upsert is
``INSERT ... ON CONFLICT DO UPDATE``. Every statement here runs through an ordinary connection,
with the append-only triggers in place, against a row the ledger really wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from api.composition import Ledger
from tests.integration.raw_access import RawAccess
from tests.integration.test_signed_store import add_versions

# table -> (its key columns, the other columns, a forged value for each other column)
_FORGED_ZERO_HASH = bytes(32)
_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[Any, ...]]] = {
    "ledger_events": (
        ("originator_id", "originator_version"),
        ("topic", "state"),
        ("forged:Topic", b'{"forged":true}'),
    ),
    "ledger_leaves": (
        ("leaf_index",),
        ("originator_id", "originator_version", "leaf_hash"),
        (None, None, _FORGED_ZERO_HASH),  # None: keep the stored value
    ),
    "ledger_tree_nodes": (("level", "node_index"), ("hash",), (_FORGED_ZERO_HASH,)),
    "ledger_checkpoints": (
        ("tree_size",),
        ("root_hash", "note", "signed_at"),
        (_FORGED_ZERO_HASH, None, None),
    ),
}

Upsert = Callable[[str, Sequence[str], Sequence[str]], str]


def _replace(prefix: str) -> Upsert:
    def statement(table: str, keys: Sequence[str], others: Sequence[str]) -> str:
        columns = [*keys, *others]
        return (
            f"{prefix} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )

    return statement


def _on_conflict_update(table: str, keys: Sequence[str], others: Sequence[str]) -> str:
    columns = [*keys, *others]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in others)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def _populate(ledger: Ledger) -> None:
    """Events, leaves, subtree hashes and a checkpoint, all written by the ledger itself."""
    add_versions(ledger.application, "credit", 3)
    assert ledger.checkpointer.cut() is not None


def _assert_every_upsert_is_refused(raw: RawAccess, upsert: Upsert) -> None:
    for table, (keys, others, forged) in _TABLES.items():
        columns = [*keys, *others]
        before = raw.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {keys[0]}")
        assert before, f"{table} holds no row to overwrite"
        victim = before[0]
        values = [
            *victim[: len(keys)],
            *(
                stored if replacement is None else replacement
                for stored, replacement in zip(victim[len(keys) :], forged, strict=True)
            ),
        ]

        with pytest.raises(Exception, match="append-only") as refused:
            raw.execute(upsert(table, keys, others), values)

        assert "append-only" in str(refused.value), table
        after = raw.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {keys[0]}")
        assert after == before, f"{table} changed under an upsert"


class UpsertContract:
    upserts: dict[str, Upsert]

    def test_finding_5_no_upsert_overwrites_a_row_of_any_ledger_table(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 5: REPLACE (SQLite) and ON CONFLICT DO UPDATE (PostgreSQL) are refused."""
        _populate(ledger)

        for upsert in self.upserts.values():
            _assert_every_upsert_is_refused(raw, upsert)

    def test_a_plain_duplicate_insert_is_still_an_integrity_error(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """The optimistic-concurrency path: a second event at a taken version is refused."""
        _populate(ledger)
        row = raw.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events LIMIT 1"
        )[0]

        with pytest.raises(Exception, match=r"append-only|duplicate key|UNIQUE"):
            raw.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                row,
            )

        assert raw.count("ledger_events") == 4


class TestUpsertsOnSQLite(UpsertContract):
    upserts = {  # noqa: RUF012 (class-level constant of a test contract)
        "REPLACE": _replace("REPLACE"),
        "INSERT OR REPLACE": _replace("INSERT OR REPLACE"),
    }

    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestUpsertsOnPostgres(UpsertContract):
    upserts = {"ON CONFLICT DO UPDATE": _on_conflict_update}  # noqa: RUF012

    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
