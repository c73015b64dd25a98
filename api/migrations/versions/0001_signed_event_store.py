"""The signed event store: events, log leaves, and append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

``ledger_events`` has exactly the columns eventsourcing 9.5's application recorders expect
(the state column holds the DSSE envelope). ``ledger_leaves`` is the transparency log's dense
leaf index. It has no unique index on the event it names: every index costs each single-event
commit another page, and a second leaf for one event is caught by verification (its version
does not advance the aggregate's chain). Both tables refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) by trigger.
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TABLES = ("ledger_events", "ledger_leaves")

_SQLITE_UP = [
    "CREATE TABLE ledger_events ("
    " originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL,"
    " topic TEXT NOT NULL, state BLOB NOT NULL,"
    " PRIMARY KEY (originator_id, originator_version))",
    "CREATE TABLE ledger_leaves ("
    " leaf_index INTEGER PRIMARY KEY CHECK (leaf_index >= 0),"
    " originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL,"
    " leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32))",
    *(
        f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
        for table in _TABLES
        for operation in ("UPDATE", "DELETE")
    ),
]

_POSTGRES_UP = [
    "CREATE TYPE stored_event_uuid AS"
    " (originator_id uuid, originator_version bigint, topic text, state bytea)",
    "CREATE TABLE ledger_events ("
    " originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text NOT NULL, state bytea NOT NULL, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version))",
    "CREATE UNIQUE INDEX ledger_events_notification_id_idx ON ledger_events (notification_id ASC)",
    "CREATE TABLE ledger_leaves ("
    " leaf_index bigint PRIMARY KEY CHECK (leaf_index >= 0),"
    " originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " leaf_hash bytea NOT NULL CHECK (octet_length(leaf_hash) = 32))",
    "CREATE FUNCTION govledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP"
    " USING ERRCODE = 'integrity_constraint_violation'; END $$",
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION govledger_refuse_change()")
        op.execute("DROP TYPE stored_event_uuid")
