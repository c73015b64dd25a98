"""The read side: versioned documents, lineage edges, entries, log times and tracking.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Unlike the ledger's tables these are derived: ``govledger replay`` deletes and rebuilds them
from the verified log, so they are not append-only. A document version is valid for log sizes
``valid_from <= size < valid_to`` (``valid_to`` NULL while current); ``read_keys`` lists each
document once so "every document of a kind as of a size" is one index lookup per key, however
many versions it has. ``read_log_times`` maps each leaf to the running maximum of the events'
recorded times, so a time resolves to a log prefix. The tracking tables are eventsourcing's own
(single-row tracking): the position the read side has processed, written in the same
transaction as the rows.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

READ_TABLES = (
    "read_documents",
    "read_keys",
    "read_edges",
    "read_entries",
    "read_log_times",
)


def _statements(integer: str, text: str, tracking: str, without_rowid: str) -> list[str]:
    return [
        f"CREATE TABLE read_documents (kind {text} NOT NULL, key {text} NOT NULL,"
        f" valid_from {integer} NOT NULL, valid_to {integer}, body {text} NOT NULL,"
        f" PRIMARY KEY (kind, key, valid_from)){without_rowid}",
        f"CREATE TABLE read_keys (kind {text} NOT NULL, key {text} NOT NULL,"
        f" scope {text} NOT NULL, first_from {integer} NOT NULL,"
        f" PRIMARY KEY (kind, key)){without_rowid}",
        "CREATE INDEX read_keys_by_scope ON read_keys (kind, scope, key)",
        f"CREATE TABLE read_edges (source {text} NOT NULL, relation {text} NOT NULL,"
        f" target {text} NOT NULL, leaf_index {integer} NOT NULL,"
        f" PRIMARY KEY (source, relation, target)){without_rowid}",
        "CREATE INDEX read_edges_by_target ON read_edges (target, leaf_index)",
        f"CREATE TABLE read_entries (leaf_index {integer} NOT NULL, seq {integer} NOT NULL,"
        f" kind {text} NOT NULL, subject {text} NOT NULL, actor {text} NOT NULL,"
        f" recorded_at {text} NOT NULL, body {text} NOT NULL,"
        f" PRIMARY KEY (leaf_index, seq)){without_rowid}",
        "CREATE INDEX read_entries_by_subject ON read_entries (kind, subject, leaf_index)",
        "CREATE INDEX read_entries_by_actor ON read_entries (kind, actor, leaf_index)",
        "CREATE INDEX read_entries_by_time ON read_entries (kind, recorded_at)",
        f"CREATE TABLE read_log_times (leaf_index {integer} PRIMARY KEY, log_time {text} NOT NULL)",
        "CREATE INDEX read_log_times_by_time ON read_log_times (log_time, leaf_index)",
        f"CREATE TABLE {tracking} (application_name {text} NOT NULL,"
        f" notification_id {integer}, PRIMARY KEY (application_name)){without_rowid}",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        statements = _statements("bigint", "text", "read_tracking", "")
    else:
        statements = _statements("INTEGER", "TEXT", "tracking", " WITHOUT ROWID")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    tracking = "read_tracking" if op.get_bind().dialect.name == "postgresql" else "tracking"
    for table in (*READ_TABLES, tracking):
        op.execute(f"DROP TABLE {table}")
