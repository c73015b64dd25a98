"""The transparency-log commands as a user drives them: checkpoint, proof, verify-proof."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, assert_one_line_error


class LogCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        return cli

    def test_checkpoint_prints_a_signed_note_of_the_whole_log(self, cli: Cli) -> None:
        cli.ok("demo")

        note = cli.ok("checkpoint").stdout

        body, _, signature = note.partition("\n\n")
        assert body.splitlines()[:2] == ["govledger.local/ledger", "4"]
        assert signature.startswith("— govledger.local/ledger ")
        assert (cli.home / "log" / "checkpoint.txt").read_text() == note

    def test_a_checkpoint_right_after_init_covers_the_first_admin(self, cli: Cli) -> None:
        note = cli.ok("checkpoint").stdout

        assert note.splitlines()[:2] == ["govledger.local/ledger", "1"]

    def test_an_exported_proof_verifies_offline_and_a_changed_entry_does_not(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.ok("demo")
        cli.ok("demo")
        out = tmp_path / "proof"
        cli.ok("proof", "--leaf", "1", "--out", str(out))
        files = ["--proof", str(out / "proof.tlog"), "--vkey", str(out / "log.vkey")]

        yes = cli.ok("verify-proof", *files, "--entry", str(out / "entry.dsse.json"))
        assert yes.stdout == (
            "yes: the entry is leaf 1 of govledger.local/ledger's tree of 5 leaves\n"
        )

        forged = tmp_path / "forged.json"
        forged.write_bytes((out / "entry.dsse.json").read_bytes().replace(b'"payload', b'"Payload'))
        no = cli.run("verify-proof", *files, "--entry", str(forged))
        assert no.status == 1, no
        assert no.stdout.startswith("no: the proof leads to root")

    def test_a_proof_against_another_checkpoint_than_the_trusted_one_is_refused(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        cli.ok("demo")
        trusted = tmp_path / "trusted.txt"
        trusted.write_text(cli.ok("checkpoint").stdout)
        cli.ok("demo")
        out = tmp_path / "proof"
        cli.ok("proof", "--leaf", "0", "--out", str(out))

        outcome = cli.run(
            "verify-proof",
            "--proof",
            str(out / "proof.tlog"),
            "--vkey",
            str(out / "log.vkey"),
            "--entry",
            str(out / "entry.dsse.json"),
            "--checkpoint",
            str(trusted),
        )

        assert outcome.status == 1, outcome
        assert "tree of 5 leaves but the trusted checkpoint is of 4" in outcome.stdout

    def test_verify_against_a_checkpoint_held_by_an_auditor(self, cli: Cli, tmp_path: Path) -> None:
        cli.ok("demo")
        held = tmp_path / "held.txt"
        held.write_text(cli.ok("checkpoint").stdout)

        assert cli.ok("verify", "--checkpoint", str(held)).stdout.startswith("ledger intact")

    def test_proof_of_a_missing_leaf_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        cli.ok("demo")

        outcome = cli.run("proof", "--leaf", "99", "--out", str(tmp_path / "p"))

        assert_one_line_error(outcome, "the log has no leaf 99")


class TestLogCliOnSQLite(LogCliContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestLogCliOnPostgres(LogCliContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


def test_verify_proof_needs_no_database_and_reports_missing_files(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url="mysql://not-even-valid")
    missing = str(tmp_path / "missing")

    outcome = cli.run("verify-proof", "--proof", missing, "--vkey", missing, "--entry", missing)

    assert_one_line_error(outcome, "cannot read", "missing")
