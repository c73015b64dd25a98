"""Finding 8 from the command line: a document the JSON Schema accepts but the domain's policy
invariants refuse is refused in one line, exit 2, and nothing is put in force."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.rules.policy import default_policy_document
from tests.e2e.conftest import Cli, assert_one_line_error


def inverted_approvals(document: dict[str, Any]) -> None:
    document["approvals"]["low"] = 3


def prod_approval_switched_off(document: dict[str, Any]) -> None:
    document["gates"]["prod"]["requires_approval_of_artifact"] = False


class PolicyInvariantsCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        return cli

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (inverted_approvals, "approvals.low: 3 is more than approvals.medium"),
            (prod_approval_switched_off, "requires_approval_of_artifact: false would let"),
        ],
    )
    def test_finding_8_a_document_within_the_schema_that_breaks_an_invariant_is_refused(
        self, cli: Cli, tmp_path: Path, change: Any, message: str
    ) -> None:
        document = default_policy_document()
        change(document)
        path = tmp_path / "policy.json"
        path.write_text(json.dumps(document))
        leaves = json.loads(cli.ok("verify", "--json").stdout)["leaves"]

        outcome = cli.run("set-policy", str(path), "--actor", "admin")

        assert_one_line_error(outcome, message)
        assert json.loads(cli.ok("verify", "--json").stdout)["leaves"] == leaves


class TestPolicyInvariantsCliOnSQLite(PolicyInvariantsCliContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestPolicyInvariantsCliOnPostgres(PolicyInvariantsCliContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
