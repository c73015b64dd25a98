"""SQLite refuses REPLACE on every ledger table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

``REPLACE INTO`` and ``INSERT OR REPLACE`` resolve a key conflict by deleting the stored row
and inserting theirs; that implicit delete fires no DELETE trigger unless the connection turned
``recursive_triggers`` on, so the append-only triggers of 0001 and 0002 never saw it. A BEFORE
INSERT trigger runs before conflict resolution, whatever the statement's conflict clause: it
refuses any insert whose key is already stored. An ordinary duplicate insert is refused by it
too, still as a constraint error (``SQLITE_CONSTRAINT_TRIGGER``), which the event store's
optimistic concurrency reads as before. Each check is one primary-key lookup in pages the
insert itself is about to touch.

PostgreSQL needs nothing: its upsert (``ON CONFLICT DO UPDATE``) is an UPDATE, which the
row triggers of 0001 and 0002 refuse.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> its primary-key columns
_KEYS = {
    "ledger_events": ("originator_id", "originator_version"),
    "ledger_leaves": ("leaf_index",),
    "ledger_tree_nodes": ("level", "node_index"),
    "ledger_checkpoints": ("tree_size",),
}


def _trigger(table: str, keys: tuple[str, ...]) -> str:
    match = " AND ".join(f"{key} = NEW.{key}" for key in keys)
    return (
        f"CREATE TRIGGER {table}_refuse_overwrite BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {match}) "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row with this key is stored "
        "and cannot be replaced'); END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, keys in _KEYS.items():
        op.execute(_trigger(table, keys))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in _KEYS:
        op.execute(f"DROP TRIGGER {table}_refuse_overwrite")
