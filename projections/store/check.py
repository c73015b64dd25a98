"""Checking the stored read side against the verified log: row for row, nothing trusted.

The read side's tables are derived, and the service role may rewrite them; so ``govledger
replay --check`` rebuilds every read model in memory from the log (each entry checked as
``verify`` checks it) and compares the rows it would store with those stored. Any row added,
removed or changed outside the worker is named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from projections.store.memory import InMemoryReadSide
from projections.store.tracking import ReadSideRecorder

__all__ = ["READ_TABLE_COLUMNS", "differences", "stored_rows"]

READ_TABLE_COLUMNS = {
    "read_keys": "kind, key, scope, first_from",
    "read_documents": "kind, key, valid_from, valid_to, body",
    "read_edges": "source, relation, target, leaf_index",
    "read_entries": "leaf_index, seq, kind, subject, actor, recorded_at, body",
    "read_log_times": "leaf_index, log_time",
}
"""Each read table and its columns, in the order ``InMemoryReadSide.rows`` gives them."""


def stored_rows(recorder: ReadSideRecorder) -> list[tuple[object, ...]]:
    """Every stored read-side row, table name first, and the recorded position."""
    rows: list[tuple[object, ...]] = []
    with recorder.reading() as cursor:
        for table, columns in READ_TABLE_COLUMNS.items():
            cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608 (the project's names)
            names = [name.strip() for name in columns.split(",")]
            rows += [(table, *(_plain(row[name]) for name in names)) for row in cursor.fetchall()]
        rows.append(("position", recorder.position_in(cursor)))
    return rows


def differences(
    expected: InMemoryReadSide, stored: Iterable[tuple[object, ...]], *, limit: int = 20
) -> list[str]:
    """What differs between the rebuilt read side and the stored rows, at most ``limit``."""
    want, have = Counter(expected.rows()), Counter(stored)
    missing = sorted((want - have).elements(), key=repr)
    extra = sorted((have - want).elements(), key=repr)
    found = [f"missing from the stored read side: {_describe(row)}" for row in missing]
    found += [f"stored but not derived from the log: {_describe(row)}" for row in extra]
    return found[:limit]


def _plain(value: object) -> object:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _describe(row: tuple[object, ...]) -> str:
    text = repr(row)
    return text if len(text) <= 200 else text[:197] + "..."
