"""The ``govledger`` command line as a user drives it, on SQLite and on PostgreSQL.

Exit status contract (design/interfaces.md): 0 ok; 1 an integrity failure naming each bad event;
2 a usage or configuration error, one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from api import migrations
from tests.e2e.conftest import Cli, Outcome, assert_one_line_error

PASSPHRASE = "correct horse battery staple"
# What the commands record: `init` registers the first admin; the first `demo` registers its
# data steward, the dataset and a version; every later `demo` adds one version.
AFTER_DEMO = 4
AFTER_TWO_DEMOS = 5
DATASET_V1_LEAF, DATASET_V2_LEAF = 2, 3
_RECORDED = re.compile(r"^recorded dataset german-credit \((?P<id>[0-9a-f-]{36})\) version (\d+):")
_INTACT = re.compile(r"^ledger intact: (\d+) events, signatures and chains verified")


def recorded_dataset(demo: Outcome) -> UUID:
    """The dataset id ``govledger demo`` says it recorded."""
    match = _RECORDED.search(demo.stdout)
    assert match, demo
    return UUID(match["id"])


def created_keyids(init: Outcome) -> list[str]:
    """The key ids ``govledger init`` says it created."""
    return re.findall(r"^created key (sha256:[0-9a-f]{64})$", init.stdout, re.MULTILINE)


def verify_report(cli: Cli) -> dict[str, Any]:
    """``govledger verify --json`` of an intact ledger, parsed."""
    outcome = cli.ok("verify", "--json")
    report: dict[str, Any] = json.loads(outcome.stdout)
    return report


def key_files(cli: Cli, pattern: str) -> dict[str, bytes]:
    """Name -> content of the files under the home's ``keys/`` matching ``pattern``."""
    return {p.name: p.read_bytes() for p in sorted((cli.home / "keys").glob(pattern))}


def flip_one_byte(envelope: bytes) -> bytes:
    """``envelope`` with one character of its signed payload replaced by another."""
    start = envelope.index(b'"payload":"') + len(b'"payload":"')
    position = start + 40
    replacement = b"B" if envelope[position : position + 1] == b"A" else b"A"
    return envelope[:position] + replacement + envelope[position + 1 :]


def problems_of(report: dict[str, Any], aggregate_id: UUID, version: int) -> list[dict[str, Any]]:
    """The problems a JSON report lists against one event."""
    return [
        p
        for p in report["problems"]
        if p["aggregate_id"] == str(aggregate_id) and p["version"] == version
    ]


class CliContract(ABC):
    """What the command line does on every engine; subclasses supply the database and raw SQL."""

    refusal: type[Exception]  # what the engine raises when a trigger refuses a statement

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        return Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)

    @pytest.fixture
    def demo_dataset(self, cli: Cli) -> UUID:
        """An initialised ledger holding one demo run: dataset events at versions 1 and 2."""
        cli.ok("init")
        return recorded_dataset(cli.ok("demo", "--data-only"))

    @abstractmethod
    def raw_sql(
        self, database_url: str, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Run one statement (``%s`` placeholders) as the database owner, append-only intact."""

    @abstractmethod
    def tamper(self, database_url: str, aggregate_id: UUID, version: int, state: bytes) -> None:
        """Overwrite one stored envelope as a superuser would, bypassing the triggers."""

    @abstractmethod
    def id_param(self, aggregate_id: UUID) -> Any:
        """The aggregate id as the engine stores it."""

    def stored_state(self, database_url: str, aggregate_id: UUID, version: int) -> bytes:
        rows = self.raw_sql(
            database_url,
            "SELECT state FROM ledger_events WHERE originator_id = %s AND originator_version = %s",
            (self.id_param(aggregate_id), version),
        )
        return bytes(rows[0][0])

    def count(self, database_url: str, table: str) -> int:
        return int(self.raw_sql(database_url, f"SELECT count(*) FROM {table}")[0][0])

    # --- the happy path

    def test_init_then_demo_ends_saying_the_ledger_is_intact(self, cli: Cli) -> None:
        init = cli.ok("init")
        assert f"is at schema {migrations.head_revision()}" in init.stdout
        assert len(created_keyids(init)) == 2

        demo = cli.ok("demo", "--data-only")

        assert recorded_dataset(demo)
        assert _INTACT.match(demo.stdout.splitlines()[-1]), demo
        assert cli.ok("verify").stdout.startswith(f"ledger intact: {AFTER_DEMO} events")

    def test_verify_json_prints_one_document_with_leaves_and_keyids(self, cli: Cli) -> None:
        keyids = created_keyids(cli.ok("init"))
        cli.ok("demo", "--data-only")

        report = verify_report(cli)

        assert report["intact"] is True
        assert report["leaves"] == AFTER_DEMO
        assert report["problems"] == []
        assert len(report["keyids"]) == 1
        assert report["keyids"][0] in keyids

    def test_demo_twice_appends_and_the_ledger_stays_intact(
        self, cli: Cli, database_url: str
    ) -> None:
        cli.ok("init")
        first = recorded_dataset(cli.ok("demo", "--data-only"))
        second = cli.ok("demo", "--data-only")

        assert recorded_dataset(second) == first
        assert "version 2:" in second.stdout
        report = verify_report(cli)
        assert report["intact"] is True
        assert report["leaves"] == AFTER_TWO_DEMOS
        assert self.count(database_url, "ledger_leaves") == AFTER_TWO_DEMOS

    def test_init_twice_keeps_the_keys(self, cli: Cli) -> None:
        cli.ok("init")
        public_keys, private_keys = key_files(cli, "public/*.pem"), key_files(cli, "*.key")

        again = cli.ok("init")

        assert created_keyids(again) == []
        assert f"is at schema {migrations.head_revision()}" in again.stdout
        assert key_files(cli, "public/*.pem") == public_keys
        assert key_files(cli, "*.key") == private_keys

    def test_rotate_key_then_demo_verifies_under_both_keys(self, cli: Cli) -> None:
        cli.ok("init")
        cli.ok("demo", "--data-only")

        rotated = cli.ok("rotate-key")
        cli.ok("demo", "--data-only")

        assert rotated.stdout.startswith("new event-signing key sha256:")
        report = verify_report(cli)
        assert report["intact"] is True
        assert report["leaves"] == AFTER_TWO_DEMOS + 1  # the rotation is itself a leaf
        assert len(report["keyids"]) == 2
        assert len(key_files(cli, "public/event-signer-*.pem")) == 2

    # --- keys

    def test_private_key_files_are_readable_by_the_owner_only(self, cli: Cli) -> None:
        cli.ok("init")

        private_keys = sorted((cli.home / "keys").glob("*.key"))

        assert [p.name for p in private_keys] == ["event-signer.key", "log.key"]
        for path in private_keys:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----"), path

    def test_a_passphrase_encrypts_the_private_key_files(self, cli: Cli) -> None:
        cli.with_passphrase(PASSPHRASE).ok("init")

        private_keys = key_files(cli, "*.key")

        assert sorted(private_keys) == ["event-signer.key", "log.key"]
        for name, pem in private_keys.items():
            assert stat.S_IMODE((cli.home / "keys" / name).stat().st_mode) == 0o600, name
            assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), name
        assert PASSPHRASE.encode() not in b"".join(private_keys.values())

    @pytest.mark.parametrize("command", ["init", "demo", "rotate-key"])
    @pytest.mark.parametrize("passphrase", ["wrong passphrase", None], ids=["wrong", "missing"])
    def test_a_wrong_or_missing_passphrase_is_one_line_and_writes_nothing(
        self, cli: Cli, database_url: str, command: str, passphrase: str | None
    ) -> None:
        owner = cli.with_passphrase(PASSPHRASE)
        owner.ok("init")
        owner.ok("demo", "--data-only")
        leaves, public_keys = verify_report(owner)["leaves"], key_files(cli, "public/*")

        outcome = cli.with_passphrase(passphrase).run(command)

        assert_one_line_error(outcome, "GOVLEDGER_KEY_PASSPHRASE", "event-signer.key")
        assert outcome.stdout == "", outcome
        assert verify_report(owner)["leaves"] == leaves
        assert self.count(database_url, "ledger_leaves") == leaves
        assert key_files(cli, "public/*") == public_keys

    @pytest.mark.parametrize("command", ["demo", "verify", "rotate-key"])
    def test_deleted_key_files_are_one_line_saying_run_init(self, cli: Cli, command: str) -> None:
        cli.ok("init")
        for path in (cli.home / "keys").rglob("*"):
            if path.is_file():
                path.unlink()

        outcome = cli.run(command)

        line = assert_one_line_error(outcome, "run `govledger init`")
        assert "key" in line.removeprefix("govledger: error: ")

    # --- configuration

    def test_a_home_that_is_a_file_is_one_line_not_a_traceback(self, cli: Cli) -> None:
        cli.home.write_text("not a directory\n")

        outcome = cli.run("init")

        line = assert_one_line_error(outcome)
        assert "GOVLEDGER_HOME" in line or str(cli.home) in line, outcome

    def test_a_corrupt_private_key_is_not_blamed_on_the_passphrase(self, cli: Cli) -> None:
        cli.ok("init")
        (cli.home / "keys" / "event-signer.key").write_text("not a PEM key\n")

        outcome = cli.run("demo", "--data-only")

        line = assert_one_line_error(outcome, "event-signer.key")
        assert "GOVLEDGER_KEY_PASSPHRASE" not in line, "no passphrase is set: " + line

    def test_init_on_a_database_at_an_unknown_schema_is_one_line_not_a_traceback(
        self, cli: Cli, database_url: str
    ) -> None:
        self.raw_sql(
            database_url, "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"
        )
        self.raw_sql(database_url, "INSERT INTO alembic_version VALUES ('abc123')")
        advice = cli.run("verify")
        assert_one_line_error(advice, "at schema abc123")

        outcome = cli.run("init")

        assert_one_line_error(outcome, "abc123")

    def test_init_beside_a_foreign_ledger_events_table_is_one_line_not_a_traceback(
        self, cli: Cli, database_url: str
    ) -> None:
        self.raw_sql(database_url, "CREATE TABLE ledger_events (note text)")

        outcome = cli.run("init")

        assert_one_line_error(outcome, "ledger_events")
        assert self.raw_sql(database_url, "SELECT count(*) FROM ledger_events") == [(0,)]

    @pytest.mark.parametrize("command", ["demo", "verify"])
    def test_an_uninitialised_database_is_one_line_saying_run_init(
        self, cli: Cli, command: str
    ) -> None:
        outcome = cli.run(command)

        assert_one_line_error(outcome, "not initialised", "run `govledger init`")

    # --- tampering

    def test_verify_names_an_event_whose_envelope_was_altered(
        self, cli: Cli, database_url: str, demo_dataset: UUID
    ) -> None:
        original = self.stored_state(database_url, demo_dataset, 2)
        self.tamper(database_url, demo_dataset, 2, flip_one_byte(original))

        as_json, as_text = cli.run("verify", "--json"), cli.run("verify")

        assert as_json.status == 1, as_json
        report = json.loads(as_json.stdout)
        assert report["intact"] is False
        assert report["leaves"] == AFTER_DEMO
        named = problems_of(report, demo_dataset, 2)
        assert named, report
        assert {p["leaf_index"] for p in named} == {DATASET_V2_LEAF}
        assert problems_of(report, demo_dataset, 1) == []
        assert as_text.status == 1, as_text
        assert as_text.stdout.startswith("ledger NOT intact:"), as_text
        expected = f"leaf {DATASET_V2_LEAF}, aggregate {demo_dataset} version 2:"
        assert expected in as_text.stdout, as_text
        assert "Traceback" not in as_json.stderr + as_text.stderr

    def test_verify_names_an_event_that_is_not_json_at_all(
        self, cli: Cli, database_url: str, demo_dataset: UUID
    ) -> None:
        self.tamper(database_url, demo_dataset, 1, b"this is not JSON \x00\xff")

        outcome = cli.run("verify", "--json")

        assert outcome.status == 1, outcome
        report = json.loads(outcome.stdout)
        assert report["intact"] is False
        assert {p["leaf_index"] for p in problems_of(report, demo_dataset, 1)} == {DATASET_V1_LEAF}
        assert "Traceback" not in outcome.stderr

    def test_demo_reading_a_row_that_is_not_json_fails_in_one_line(
        self, cli: Cli, database_url: str, demo_dataset: UUID
    ) -> None:
        self.tamper(database_url, demo_dataset, 1, b"this is not JSON \x00\xff")

        outcome = cli.run("demo", "--data-only")

        assert outcome.status in (1, 2), outcome
        assert_one_line_error(outcome, status=outcome.status)
        assert self.count(database_url, "ledger_leaves") == AFTER_DEMO

    @pytest.mark.parametrize("version", [1, 2])
    def test_demo_refuses_to_build_on_a_tampered_event(
        self, cli: Cli, database_url: str, demo_dataset: UUID, version: int
    ) -> None:
        original = self.stored_state(database_url, demo_dataset, version)
        self.tamper(database_url, demo_dataset, version, flip_one_byte(original))

        outcome = cli.run("demo", "--data-only")

        assert outcome.status != 0, outcome
        assert_one_line_error(outcome, status=outcome.status)
        assert "recorded dataset" not in outcome.stdout, outcome
        assert self.count(database_url, "ledger_leaves") == AFTER_DEMO
        assert self.count(database_url, "ledger_events") == AFTER_DEMO

    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE ledger_events SET topic = 'forged'",
            "UPDATE ledger_events SET originator_version = originator_version + 10",
            "DELETE FROM ledger_events",
            "UPDATE ledger_leaves SET leaf_index = leaf_index + 10",
            "DELETE FROM ledger_leaves",
        ],
    )
    def test_the_database_refuses_to_change_history(
        self, cli: Cli, database_url: str, demo_dataset: UUID, statement: str
    ) -> None:
        snapshot = "SELECT * FROM {} ORDER BY 1, 2"
        events = self.raw_sql(database_url, snapshot.format("ledger_events"))
        leaves = self.raw_sql(database_url, snapshot.format("ledger_leaves"))

        with pytest.raises(self.refusal, match="append-only"):
            self.raw_sql(database_url, statement)

        assert self.raw_sql(database_url, snapshot.format("ledger_events")) == events
        assert self.raw_sql(database_url, snapshot.format("ledger_leaves")) == leaves
        assert verify_report(cli)["leaves"] == AFTER_DEMO


class TestCliOnSQLite(CliContract):
    refusal = sqlite3.IntegrityError

    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def raw_sql(
        self, database_url: str, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(_sqlite_path(database_url))) as connection, connection:
            return connection.execute(statement.replace("%s", "?"), params).fetchall()

    def tamper(self, database_url: str, aggregate_id: UUID, version: int, state: bytes) -> None:
        trigger = "ledger_events_refuse_update"
        with closing(sqlite3.connect(_sqlite_path(database_url))) as connection, connection:
            (definition,) = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
            ).fetchone()
            connection.execute(f"DROP TRIGGER {trigger}")
            changed = connection.execute(
                "UPDATE ledger_events SET state = ? "
                "WHERE originator_id = ? AND originator_version = ?",
                (state, self.id_param(aggregate_id), version),
            ).rowcount
            connection.execute(definition)
        assert changed == 1

    def id_param(self, aggregate_id: UUID) -> Any:
        return aggregate_id.hex

    @pytest.mark.parametrize("command", ["init", "demo", "verify"])
    def test_a_file_that_is_not_a_database_is_one_line_not_a_traceback(
        self, cli: Cli, database_url: str, command: str
    ) -> None:
        path = _sqlite_path(database_url)
        path.write_bytes(b"garbage, not a SQLite database\n")

        outcome = cli.run(command)

        assert_one_line_error(outcome, str(path))
        assert path.read_bytes() == b"garbage, not a SQLite database\n"


class TestCliOnPostgres(CliContract):
    refusal = psycopg.errors.IntegrityConstraintViolation

    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def raw_sql(
        self, database_url: str, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        with psycopg.connect(database_url) as connection:
            cursor = connection.execute(statement, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def tamper(self, database_url: str, aggregate_id: UUID, version: int, state: bytes) -> None:
        with psycopg.connect(database_url) as connection:
            connection.execute("SET session_replication_role = replica")
            changed = connection.execute(
                "UPDATE ledger_events SET state = %s "
                "WHERE originator_id = %s AND originator_version = %s",
                (state, self.id_param(aggregate_id), version),
            ).rowcount
        assert changed == 1

    def id_param(self, aggregate_id: UUID) -> Any:
        return aggregate_id


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


class TestCliUsageErrors:
    """Mistakes caught before any storage is touched: one line, exit 2, what to fix."""

    @pytest.fixture
    def cli(self, tmp_path: Path) -> Cli:
        return Cli(cwd=tmp_path, home=tmp_path / "home")

    @pytest.mark.parametrize("command", ["init", "demo", "verify", "rotate-key"])
    def test_an_unsupported_database_scheme_names_the_setting(self, cli: Cli, command: str) -> None:
        outcome = cli.run(command, "--db", "mysql://x")

        assert_one_line_error(
            outcome, "GOVLEDGER_DATABASE_URL", "'mysql'", "sqlite:///", "postgresql://"
        )

    @pytest.mark.parametrize("command", ["init", "demo", "verify"])
    def test_an_unreachable_postgres_server_names_the_setting(self, cli: Cli, command: str) -> None:
        outcome = cli.run(command, "--db", "postgresql://postgres@127.0.0.1:1/x")

        assert_one_line_error(
            outcome, "cannot connect to postgresql://postgres@127.0.0.1:1/x", "--db"
        )

    def test_verify_on_a_sqlite_file_in_a_missing_directory_names_it(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        outcome = cli.run("verify", "--db", "sqlite:///nonexistent-dir/x.db")

        assert_one_line_error(outcome, "nonexistent-dir", "does not exist", "--db")
        assert not (tmp_path / "nonexistent-dir").exists()

    def test_an_unknown_command_is_a_usage_error(self, cli: Cli) -> None:
        outcome = cli.run("frobnicate")

        assert outcome.status == 2, outcome
        assert outcome.stderr.startswith("usage: govledger"), outcome
        assert "invalid choice: 'frobnicate'" in outcome.stderr
        assert "Traceback" not in outcome.stdout + outcome.stderr

    def test_no_command_is_a_usage_error(self, cli: Cli) -> None:
        outcome = cli.run()

        assert outcome.status == 2, outcome
        assert outcome.stderr.startswith("usage: govledger"), outcome
        assert "required: COMMAND" in outcome.stderr
        assert "Traceback" not in outcome.stdout + outcome.stderr
