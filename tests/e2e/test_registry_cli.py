"""The part-1 commands from the command line, on both engines: generated options, ``--json``
answers, bad values one line naming the option (exit 2), a rule's refusal exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.composition import open_ledger
from domain.aggregates.model import Model
from domain.rules.policy import default_policy_document
from domain.rules.roles import Role
from tests.conftest import make_settings
from tests.e2e.conftest import Cli, assert_one_line_error

DIGEST = "sha256:" + "cd" * 32


def answer(cli: Cli, *args: str) -> Any:
    """The JSON answer of a command that succeeds."""
    return json.loads(cli.ok(*args, "--json").stdout)


class RegistryCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        return cli

    def test_the_part_one_commands_change_the_ledger(
        self, cli: Cli, tmp_path: Path, database_url: str
    ) -> None:
        created = answer(
            cli, "register-principal", "--actor", "admin", "--name", "ann",
            "--roles", "model_owner", "--roles", "data_steward",
        )  # fmt: skip
        cli.ok("grant-role", "--actor", "admin", "--name", "ann", "--role", "model_developer")
        cli.ok("revoke-role", "--actor", "admin", "--name", "ann", "--role", "data_steward")
        public = Ed25519PrivateKey.generate().public_key()
        pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        key = answer(cli, "register-key", "--actor", "admin", "--name", "ann",
                     f"--public-key-pem={pem}")  # fmt: skip
        cli.ok("revoke-key", "--actor", "admin", "--name", "ann", "--keyid", key["keyid"])
        cli.ok("register-principal", "--actor", "admin", "--name", "sam",
               "--roles", "data_steward")  # fmt: skip
        dataset = answer(cli, "register-dataset", "--actor", "sam", "--name", "credit",
                         "--description", "loan applications")  # fmt: skip
        version = answer(
            cli, "add-dataset-version", "--actor", "sam", "--dataset-id", dataset["id"],
            "--digest", DIGEST, "--row-count", "1000", "--columns", "age",
            "--columns", '["sex", "credit_risk"]', "--protected-attributes", "sex",
            "--sensitivity", "confidential", "--schema", '{"age": {"type": "integer"}}',
        )  # fmt: skip
        model = answer(cli, "register-model", "--actor", "ann", "--name", "credit-risk",
                       "--purpose", "credit decisions", "--intended-use", "retail lending",
                       "--restrictions", "no business lending", "--risk-tier", "high")  # fmt: skip
        spec = tmp_path / "spec.json"
        spec.write_text(json.dumps({"seed": 7, "estimator": "logistic_regression"}))
        trained = answer(
            cli, "record-model-version", "--actor", "ann", "--model-id", model["id"],
            "--dataset-versions", "credit v1", "--training-spec", f"@{spec}",
            "--code-version", "abc123", "--environment", '{"python": "3.11"}',
            "--artifact-digest", DIGEST, "--metrics", '{"auc": 0.76}',
        )  # fmt: skip
        document = default_policy_document()
        document["version"] = "bank-2026"
        policy = tmp_path / "policy.json"
        policy.write_text(json.dumps(document))
        in_force = answer(cli, "set-policy", "--actor", "admin", "--document", f"@{policy}")

        assert version == {"version": 1}
        assert model["id"] == str(Model.create_id("credit-risk"))
        ledger = open_ledger(make_settings(database_url, cli.home))
        try:
            app = ledger.application
            ann = app.get_principal("ann")
            assert created["id"] == str(ann.id)
            assert ann.roles == {Role.MODEL_OWNER, Role.MODEL_DEVELOPER}
            assert ann.revoked_keys == {key["keyid"]}
            stored = app.get_dataset(UUID(dataset["id"])).versions[0]
            assert tuple(stored.columns) == ("age", "sex", "credit_risk")
            assert dict(stored.schema) == {"age": {"type": "integer"}}
            recorded = app.get_model_version(UUID(trained["id"]))
            assert (recorded.training_spec["seed"], recorded.metrics) == (7, {"auc": 0.76})
            assert in_force == {"version": "bank-2026", "digest": app.current_policy().digest}
        finally:
            ledger.close()
        assert json.loads(cli.ok("verify", "--json").stdout)["intact"] is True

    def test_without_json_a_command_prints_one_short_line(self, cli: Cli) -> None:
        outcome = cli.ok(
            "register-principal", "--actor", "admin", "--name", "ann", "--roles", "auditor"
        )

        assert outcome.stdout.startswith("id=")
        assert len(outcome.stdout.splitlines()) == 1

    def test_a_bad_option_value_is_one_line_naming_it_exit_2_and_records_nothing(
        self, cli: Cli
    ) -> None:
        leaves = json.loads(cli.ok("verify", "--json").stdout)["leaves"]
        cases: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
            (("register-principal", "--roles", "wizard"), ("--name: Field required", "--roles[0]")),
            (("add-dataset-version", "--row-count", "many"), ("--row-count", "--dataset-id")),
            (("register-model", "--name", "m", "--restrictions", "[1"), ("--restrictions",)),
            (("set-policy", "--document", "[]"), ("--document", "dictionary")),
        ]

        for args, fragments in cases:
            assert_one_line_error(cli.run(*args, "--actor", "admin"), *fragments)
        assert json.loads(cli.ok("verify", "--json").stdout)["leaves"] == leaves

    def test_a_command_the_actor_may_not_issue_is_refused_exit_1_and_recorded(
        self, cli: Cli
    ) -> None:
        leaves = json.loads(cli.ok("verify", "--json").stdout)["leaves"]

        outcome = cli.run("register-dataset", "--actor", "admin", "--name", "credit",
                          "--description", "loan applications")  # fmt: skip

        assert_one_line_error(outcome, "'admin' may not register_dataset", status=1)
        assert json.loads(cli.ok("verify", "--json").stdout)["leaves"] == leaves + 1

    def test_an_unknown_id_is_exit_2_naming_it(self, cli: Cli) -> None:
        outcome = cli.run("grant-role", "--actor", "admin", "--name", "nobody", "--role", "auditor")

        assert_one_line_error(outcome, "no principal named 'nobody'")


class TestRegistryCliOnSQLite(RegistryCliContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestRegistryCliOnPostgres(RegistryCliContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
