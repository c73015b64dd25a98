"""Finding 11: ``govledger init`` on a ledger that already holds events, on both engines.

It registers nobody (``GOVLEDGER_ADMIN`` names the first admin of an empty ledger only), and it
refuses, creating no key, when ``GOVLEDGER_HOME`` lacks the keys that signed the ledger or holds
other ones.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, assert_one_line_error


@dataclass(frozen=True)
class AdminCli(Cli):
    """The command line with ``GOVLEDGER_ADMIN`` set (``Cli`` drops every GOVLEDGER_ variable)."""

    admin: str | None = None

    def environment(self) -> dict[str, str]:
        env = super().environment()
        if self.admin is not None:
            env["GOVLEDGER_ADMIN"] = self.admin
        return env


def leaves(cli: Cli) -> int:
    """The number of log leaves ``verify --json`` reports on an intact ledger."""
    report = json.loads(cli.ok("verify", "--json").stdout)
    assert report["intact"] is True, report
    return int(report["leaves"])


def files_under(folder: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under ``folder`` (empty when it does not exist)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


class InitContract:
    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> AdminCli:
        """An operator who has run ``init`` and ``demo``: a ledger with events and a checkpoint."""
        cli = AdminCli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        cli.ok("demo", "--data-only")
        return cli

    def another_home(self, cli: AdminCli, name: str) -> AdminCli:
        """The same database with another, empty ``GOVLEDGER_HOME``."""
        return AdminCli(cwd=cli.cwd, home=cli.cwd / name, database_url=cli.database_url)

    def keys_of_another_ledger(self, cli: AdminCli, name: str) -> Path:
        """A home whose keys were created by ``init`` of another (SQLite) ledger."""
        other = AdminCli(
            cwd=cli.cwd, home=cli.cwd / name, database_url=f"sqlite:///{cli.cwd / name}.db"
        )
        other.ok("init")
        return other.home

    def test_init_again_with_the_same_keys_and_admin_is_fine_and_registers_nobody(
        self, cli: AdminCli
    ) -> None:
        before = leaves(cli)

        again = cli.ok("init")

        assert "principal 'admin' exists" in again.stdout, again
        assert "registered principal" not in again.stdout, again
        assert leaves(cli) == before

    def test_finding_11_govledger_admin_on_an_initialised_ledger_registers_nobody(
        self, cli: AdminCli
    ) -> None:
        """Finding 11: ``GOVLEDGER_ADMIN=mallory govledger init`` made mallory a second admin."""
        before = leaves(cli)

        outcome = AdminCli(**{**cli.__dict__, "admin": "mallory"}).run("init")

        assert_one_line_error(outcome, "already initialised", "registers nobody", "'mallory'")
        assert "registered principal" not in outcome.stdout, outcome
        assert leaves(cli) == before

    def test_finding_11_an_empty_home_on_a_populated_ledger_is_refused_creating_no_key(
        self, cli: AdminCli
    ) -> None:
        """Finding 11: init with an empty GOVLEDGER_HOME created fresh keys and exited 0."""
        empty = self.another_home(cli, "empty-home")
        before = leaves(cli)

        outcome = empty.run("init")

        assert_one_line_error(outcome, "already holds a signed ledger", "restore", "backup")
        assert files_under(empty.home) == {}
        assert leaves(cli) == before

    def test_finding_11_a_home_with_another_ledgers_keys_is_refused(self, cli: AdminCli) -> None:
        """Finding 11: keys that did not sign this ledger are refused, and left untouched."""
        foreign = AdminCli(
            cwd=cli.cwd,
            home=self.keys_of_another_ledger(cli, "foreign"),
            database_url=cli.database_url,
        )
        keys = files_under(foreign.home)

        outcome = foreign.run("init")

        assert_one_line_error(outcome, "not among the event keys", "restore", "backup")
        assert files_under(foreign.home) == keys
        assert leaves(cli) > 0

    def test_finding_11_a_home_with_another_log_key_is_refused(self, cli: AdminCli) -> None:
        """Finding 11: the right event keys but a log key that signed no checkpoint of it."""
        foreign = self.keys_of_another_ledger(cli, "foreign")
        mixed = self.another_home(cli, "mixed-home")
        shutil.copytree(cli.home, mixed.home)
        for public in (mixed.home / "keys" / "public").glob("log*"):
            public.unlink()
        for path in [foreign / "keys" / "log.key", *(foreign / "keys" / "public").glob("log*")]:
            shutil.copy2(path, mixed.home / "keys" / path.relative_to(foreign / "keys"))
        keys = files_under(mixed.home)

        outcome = mixed.run("init")

        assert_one_line_error(outcome, "checkpoint", "restore")
        assert files_under(mixed.home) == keys


class TestInitOnSQLite(InitContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestInitOnPostgres(InitContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


def test_a_malformed_govledger_admin_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    cli = AdminCli(
        cwd=tmp_path,
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'ledger.db'}",
        admin=" root",
    )

    outcome = cli.run("init")

    assert_one_line_error(outcome, "GOVLEDGER_ADMIN", "' root'")
    assert not cli.home.exists()
    assert not (tmp_path / "ledger.db").exists()
