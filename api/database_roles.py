"""Least privilege on PostgreSQL: the owner role migrates, the service role only reads and appends.

``govledger init --owner-db OWNER_URL`` runs the migrations as the owner, then grants the service
role of ``GOVLEDGER_DATABASE_URL`` exactly what the commands need: SELECT and INSERT on the
ledger tables, USAGE of the notification-id sequence, SELECT on ``alembic_version`` (to check the
schema) and USAGE of the schema. The service role owns nothing, so it cannot disable or drop
the append-only triggers or replace their function; without UPDATE, DELETE or TRUNCATE it
cannot change a ledger row either. The read side's tables are derived (``govledger replay``
rebuilds them from the verified log), so there it may also UPDATE and DELETE. The API's tokens
(``api_tokens``) it may read, issue and revoke (SELECT, INSERT, UPDATE), never delete. Writers
serialise on an advisory lock, which needs no privilege at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from projections.store.tracking import POSTGRES_TRACKING_TABLE, READ_TABLES

__all__ = ["API_TOKEN_TABLES", "RoleSetUp", "grant_service_role", "is_superuser", "role_set_up"]

LEDGER_TABLES = ("ledger_events", "ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints")
SERVICE_READ_TABLES = (*READ_TABLES, POSTGRES_TRACKING_TABLE)
"""The read side's tables on PostgreSQL: derived, so the service role may rewrite them."""
API_TOKEN_TABLES = ("api_tokens",)
"""The API's bearer tokens (hashed): the service role issues and revokes them."""
_SEQUENCE = "ledger_events_notification_id_seq"
_TRIGGER_FUNCTION = "govledger_refuse_change"
_CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class RoleSetUp:
    """Which database runs the migrations and which role the commands use."""

    owner: Database
    service: Database

    @property
    def single_role(self) -> bool:
        """True when the service role is the owner (no least privilege)."""
        return self.owner.user == self.service.user


def role_set_up(service: Database, owner_url: str | None) -> RoleSetUp:
    """The owner and service databases of ``init``; ConfigurationError if they do not agree.

    Without ``owner_url`` the service role migrates too (a single-role set-up).
    """
    if owner_url is None:
        return RoleSetUp(owner=service, service=service)
    if service.engine != "postgresql":
        raise ConfigurationError(
            "--owner-db applies to PostgreSQL only: SQLite has no roles; drop --owner-db"
        )
    owner = parse_database_url(owner_url)
    same = (owner.engine, owner.host, owner.port, owner.name) == (
        service.engine,
        service.host,
        service.port,
        service.name,
    )
    if not same:
        raise ConfigurationError(
            f"--owner-db {owner.describe()} must name the same database as "
            f"GOVLEDGER_DATABASE_URL ({service.describe()}), as another role: fix one of them"
        )
    return RoleSetUp(owner=owner, service=service)


def grant_service_role(roles: RoleSetUp) -> None:
    """As the owner, grant the service role what the commands need; refuse an unsafe set-up.

    Idempotent. ConfigurationError when the service role owns a ledger object (it could then
    disable the triggers; transfer the ownership to the owner role first).
    """
    service_role = sql.Identifier(roles.service.user)
    tables = sql.SQL(", ").join(sql.Identifier(table) for table in LEDGER_TABLES)
    sequence = sql.Identifier(_SEQUENCE)
    read_tables = sql.SQL(", ").join(sql.Identifier(table) for table in SERVICE_READ_TABLES)
    token_tables = sql.SQL(", ").join(sql.Identifier(table) for table in API_TOKEN_TABLES)
    statements = [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(service_role),
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(tables, service_role),
        sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(tables, service_role),
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(read_tables, service_role),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {} TO {}").format(
            read_tables, service_role
        ),
        sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(token_tables, service_role),
        sql.SQL("GRANT SELECT, INSERT, UPDATE ON TABLE {} TO {}").format(
            token_tables, service_role
        ),
        sql.SQL("REVOKE ALL ON TABLE alembic_version FROM {}").format(service_role),
        sql.SQL("GRANT SELECT ON TABLE alembic_version TO {}").format(service_role),
        sql.SQL("REVOKE ALL ON SEQUENCE {} FROM {}").format(sequence, service_role),
        sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sequence, service_role),
    ]
    try:
        with _connect(roles.owner) as connection, connection.transaction():
            _refuse_owned_objects(connection, roles.service.user, roles.owner.user)
            for statement in statements:
                connection.execute(statement)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"cannot grant role {roles.service.user!r} its privileges as "
            f"{roles.owner.user!r}: {reason}; --owner-db must name the role that owns the "
            "ledger tables"
        ) from None


def is_superuser(database: Database) -> bool:
    """Whether the role of ``database`` is a PostgreSQL superuser (beyond any privilege)."""
    with _connect(database) as connection:
        row = connection.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return bool(row and row[0])


def _refuse_owned_objects(
    connection: psycopg.Connection[tuple[object, ...]], role: str, owner: str
) -> None:
    owned = connection.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = %s AND c.relname = ANY(%s) UNION ALL "
        "SELECT p.proname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
        "WHERE r.rolname = %s AND p.proname = %s ORDER BY 1",
        (role, [*LEDGER_TABLES, _SEQUENCE], role, _TRIGGER_FUNCTION),
    ).fetchall()
    if owned:
        names = ", ".join(str(name) for (name,) in owned)
        raise ConfigurationError(
            f"service role {role!r} owns {names}, so it could disable the append-only "
            f"triggers: transfer each to {owner!r} (ALTER TABLE name OWNER TO {owner}), "
            "then run init again"
        )


def _connect(database: Database) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(
            database.libpq_conninfo(), connect_timeout=_CONNECT_TIMEOUT_SECONDS, autocommit=True
        )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"cannot connect to {database.describe()}: {reason}; check --owner-db"
        ) from None
