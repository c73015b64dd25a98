"""Setting the governance policy from the command line, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.rules.policy import default_policy_document
from tests.e2e.conftest import Cli, assert_one_line_error


class PolicyCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        return cli

    @pytest.fixture
    def policy_file(self, tmp_path: Path) -> Path:
        document = default_policy_document()
        document["version"] = "bank-2026"
        document["approvals"]["high"] = 3
        path = tmp_path / "policy.json"
        path.write_text(json.dumps(document))
        return path

    def test_an_admin_puts_a_valid_policy_in_force(self, cli: Cli, policy_file: Path) -> None:
        outcome = cli.ok("set-policy", str(policy_file), "--actor", "admin")

        assert outcome.stdout.startswith("policy bank-2026 (sha256:")
        assert json.loads(cli.ok("verify", "--json").stdout)["intact"] is True

    def test_a_non_admin_is_refused_and_the_refusal_is_logged(
        self, cli: Cli, policy_file: Path
    ) -> None:
        leaves = json.loads(cli.ok("verify", "--json").stdout)["leaves"]

        outcome = cli.run("set-policy", str(policy_file), "--actor", "mallory")

        assert_one_line_error(outcome, "'mallory' is not a registered principal", status=1)
        assert json.loads(cli.ok("verify", "--json").stdout)["leaves"] == leaves + 1

    def test_a_document_breaking_the_schema_is_refused_naming_the_path(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        document = default_policy_document()
        document["approvals"]["high"] = 0
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(document))

        outcome = cli.run("set-policy", str(path), "--actor", "admin")

        assert_one_line_error(outcome, "approvals.high")


class TestPolicyCliOnSQLite(PolicyCliContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestPolicyCliOnPostgres(PolicyCliContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
