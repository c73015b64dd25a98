"""The transparency log: complete-subtree hashes and signed checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

``ledger_tree_nodes`` keeps the hash of every complete subtree above the leaves, up to the
latest checkpoint, so any inclusion or consistency proof is O(log n) lookups.
``ledger_checkpoints`` keeps every signed checkpoint (C2SP signed note). Both are append-only.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TABLES = ("ledger_tree_nodes", "ledger_checkpoints")

_SQLITE_UP = [
    "CREATE TABLE ledger_tree_nodes ("
    " level INTEGER NOT NULL CHECK (level > 0),"
    " node_index INTEGER NOT NULL CHECK (node_index >= 0),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " PRIMARY KEY (level, node_index)) WITHOUT ROWID",
    "CREATE TABLE ledger_checkpoints ("
    " tree_size INTEGER PRIMARY KEY CHECK (tree_size > 0),"
    " root_hash BLOB NOT NULL CHECK (length(root_hash) = 32),"
    " note TEXT NOT NULL, signed_at TEXT NOT NULL)",
    *(
        f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        for table in _TABLES
        for operation in ("UPDATE", "DELETE")
    ),
]

_POSTGRES_UP = [
    "CREATE TABLE ledger_tree_nodes ("
    " level smallint NOT NULL CHECK (level > 0),"
    " node_index bigint NOT NULL CHECK (node_index >= 0),"
    " hash bytea NOT NULL CHECK (octet_length(hash) = 32),"
    " PRIMARY KEY (level, node_index))",
    "CREATE TABLE ledger_checkpoints ("
    " tree_size bigint PRIMARY KEY CHECK (tree_size > 0),"
    " root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),"
    " note text NOT NULL, signed_at timestamptz NOT NULL)",
    *(
        statement
        for table in _TABLES
        for statement in (
            f"CREATE TRIGGER {table}_refuse_change BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION govledger_refuse_change()",
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION govledger_refuse_change()",
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
        )
    ),
]


def upgrade() -> None:
    statements = _POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else _SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.execute(f"DROP TABLE {table}")
