"""Finding 12: least privilege on PostgreSQL.

``govledger init --owner-db OWNER_URL`` migrates as the owner and grants the service role of
``GOVLEDGER_DATABASE_URL`` only what it needs. That role then runs every command (appends,
checkpoints, proofs, verify) yet cannot change history: it owns nothing, so it cannot disable
or drop the append-only triggers or replace their function, and it holds no UPDATE, DELETE or
TRUNCATE privilege. Each test creates its own login role and drops it afterwards.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors, sql

from api.composition import open_ledger
from api.database import parse_database_url
from tests.conftest import make_settings
from tests.e2e.conftest import Cli, assert_one_line_error
from tests.integration.test_signed_store import add_versions

TABLES = ("ledger_events", "ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints")


def _as_role(database_url: str, role: str) -> str:
    """``database_url`` with its user replaced by ``role`` (trust or .pgpass authenticates)."""
    database = parse_database_url(database_url)
    return f"postgresql://{role}@{database.host}:{database.port}/{database.name}"


@pytest.fixture
def service_role(postgres_admin_url: str, postgres_url: str) -> Iterator[str]:
    """A fresh login role with no privileges, dropped with everything granted to it."""
    name = f"govledger_service_{uuid.uuid4().hex[:12]}"
    role = sql.Identifier(name)
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owner.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,)
        )
        owner.execute(sql.SQL("DROP OWNED BY {}").format(role))
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP ROLE {}").format(role))


@pytest.fixture
def service_url(postgres_url: str, service_role: str) -> str:
    return _as_role(postgres_url, service_role)


@pytest.fixture
def cli(tmp_path: Path, service_url: str) -> Cli:
    """The operator's command line, configured with the service role only."""
    return Cli(cwd=tmp_path, home=tmp_path / "home", database_url=service_url)


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as connection:
        return {
            table: connection.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]  # type: ignore[index]
            for table in TABLES
        }


def test_finding_12_the_service_role_runs_every_command_after_init_as_owner(
    cli: Cli, postgres_url: str, service_role: str, tmp_path: Path
) -> None:
    """Finding 12: appends, checkpoints, proofs and verify need only the granted privileges."""
    init = cli.ok("init", "--owner-db", postgres_url)
    assert f"granted {service_role!r}" in init.stdout, init

    cli.ok("demo", "--data-only")
    cli.ok("demo", "--data-only")
    cli.ok("checkpoint")
    cli.ok("proof", "--leaf", "1", "--out", str(tmp_path / "proof"))
    verify = cli.ok("verify")
    cli.ok("project")
    cli.ok("replay")
    rebuilt = cli.ok("replay", "--check")
    inventory = json.loads(cli.ok("inventory", "--json").stdout)
    issued = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)
    cli.ok("token", "list")
    cli.ok("token", "revoke", issued["id"])

    assert verify.stdout.startswith("ledger intact: 5 events"), verify
    assert rebuilt.stdout.startswith("read side matches the verified log"), rebuilt
    assert inventory["log"]["size"] == 5
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owned = owner.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s UNION ALL "
            "SELECT p.proname FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
            "WHERE r.rolname = %s",
            (service_role, service_role),
        ).fetchall()
    assert owned == []


def _history_rewrites() -> list[str]:
    per_table = [
        statement
        for table, column in zip(TABLES, ("topic", "leaf_hash", "hash", "note"), strict=True)
        for statement in (
            f"UPDATE {table} SET {column} = {column}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            f"ALTER TABLE {table} DISABLE TRIGGER {table}_refuse_change",
            f"DROP TRIGGER {table}_refuse_change ON {table}",
            f"ALTER TABLE {table} OWNER TO CURRENT_USER",
            f"CREATE TRIGGER allow_all BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION govledger_refuse_change()",
        )
    ]
    return [
        *per_table,
        "CREATE OR REPLACE FUNCTION govledger_refuse_change() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "DROP FUNCTION govledger_refuse_change() CASCADE",
        "SET session_replication_role = replica",
    ]


def test_finding_12_the_service_role_cannot_rewrite_history(
    cli: Cli, postgres_url: str, service_url: str
) -> None:
    """Finding 12: every way around the append-only triggers is a permission error."""
    cli.ok("init", "--owner-db", postgres_url)
    cli.ok("demo", "--data-only")
    before = _counts(postgres_url)

    allowed = []
    for statement in _history_rewrites():
        with psycopg.connect(service_url, autocommit=True) as service:
            try:
                service.execute(statement)
            except errors.InsufficientPrivilege:
                continue
            except psycopg.Error as other:
                allowed.append(f"{statement}: {type(other).__name__}: {other}")
            else:
                allowed.append(f"{statement}: accepted")

    assert allowed == []
    assert _counts(postgres_url) == before


def test_the_service_role_issues_and_revokes_tokens_but_cannot_delete_them(
    cli: Cli, postgres_url: str, service_url: str
) -> None:
    """Revoking is an UPDATE: the service role may not DELETE or TRUNCATE a token row."""
    cli.ok("init", "--owner-db", postgres_url)
    issued = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)
    cli.ok("token", "revoke", issued["id"])

    for statement in ("DELETE FROM api_tokens", "TRUNCATE api_tokens", "DROP TABLE api_tokens"):
        with (
            psycopg.connect(service_url, autocommit=True) as service,
            pytest.raises(errors.InsufficientPrivilege),
        ):
            service.execute(statement)
    listed = json.loads(cli.ok("token", "list", "--json").stdout)["tokens"]
    assert [token["id"] for token in listed] == [issued["id"]]


def test_finding_12_concurrent_service_writers_keep_leaf_order_equal_to_commit_order(
    cli: Cli, postgres_url: str, service_url: str
) -> None:
    """Finding 12: the advisory lock serialises writers as LOCK TABLE did, without privilege.

    Leaf indexes stay dense, and the leaf order is the notification-id order (the commit order
    readers of the notification log rely on).
    """
    cli.ok("init", "--owner-db", postgres_url)
    settings = make_settings(service_url, cli.home)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        opened = open_ledger(settings)
        try:
            for dataset in range(10):
                add_versions(opened.application, f"writer-{writer}-{dataset}", 1)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)
        finally:
            opened.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        rows = owner.execute(
            "SELECT l.leaf_index, e.notification_id FROM ledger_leaves l JOIN ledger_events e "
            "USING (originator_id, originator_version) ORDER BY l.leaf_index"
        ).fetchall()
    indexes = [index for index, _ in rows]
    notification_ids = [notification_id for _, notification_id in rows]
    assert indexes == list(range(1 + 3 * 10 * 2))  # the first admin, then the writers' events
    assert notification_ids == sorted(notification_ids)
    assert cli.ok("verify").stdout.startswith("ledger intact:")


def test_init_again_revokes_privileges_beyond_what_the_service_role_needs(
    cli: Cli, postgres_url: str, service_url: str, service_role: str
) -> None:
    cli.ok("init", "--owner-db", postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owner.execute(
            sql.SQL("GRANT UPDATE, DELETE, TRUNCATE, TRIGGER ON ledger_events TO {}").format(
                sql.Identifier(service_role)
            )
        )

    cli.ok("init", "--owner-db", postgres_url)

    with (
        psycopg.connect(service_url, autocommit=True) as service,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        service.execute("DELETE FROM ledger_events")


def test_a_service_role_that_owns_a_ledger_table_is_refused_in_one_line(
    cli: Cli, postgres_url: str, service_role: str
) -> None:
    cli.ok("init", "--owner-db", postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as owner:
        owner.execute(
            sql.SQL("ALTER TABLE ledger_leaves OWNER TO {}").format(sql.Identifier(service_role))
        )

    outcome = cli.run("init", "--owner-db", postgres_url)

    assert_one_line_error(outcome, service_role, "owns ledger_leaves", "OWNER TO")


def test_a_single_role_set_up_says_the_service_role_owns_the_tables(
    tmp_path: Path, postgres_url: str
) -> None:
    """Without --owner-db the one role owns the tables: init works and says what that means."""
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=postgres_url)

    init = cli.ok("init")

    assert "single-role set-up" in init.stdout, init
    assert "--owner-db" in init.stdout, init


def test_owner_db_naming_another_database_is_refused_in_one_line(
    cli: Cli, postgres_url: str
) -> None:
    other = postgres_url.rsplit("/", 1)[0] + "/postgres"

    outcome = cli.run("init", "--owner-db", other)

    assert_one_line_error(outcome, "--owner-db", "same database")
    assert not (cli.home / "keys").exists()


def test_owner_db_on_sqlite_is_refused_in_one_line(tmp_path: Path, postgres_url: str) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url="sqlite:///ledger.db")

    outcome = cli.run("init", "--owner-db", postgres_url)

    assert_one_line_error(outcome, "--owner-db", "PostgreSQL")
    assert not (tmp_path / "ledger.db").exists()
