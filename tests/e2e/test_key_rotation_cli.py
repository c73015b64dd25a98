"""Finding 7 as an operator meets it: `rotate-key` and `rotate-key --log`, on both engines.

A rotation is a leaf of the log; after it the retired key's signatures are integrity failures;
proofs and checkpoints signed before a log-key rotation still verify with the old verifier key.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from api.composition import open_ledger
from tests.conftest import make_settings
from tests.e2e.conftest import GOVLEDGER, Cli
from tests.e2e.test_log_cli import wait_for
from tests.integration.test_signed_store import add_versions


def append_with_home(cli: Cli, home: Path, name: str) -> None:
    """Append one event from this process with the keys in ``home``."""
    assert cli.database_url is not None
    ledger = open_ledger(make_settings(cli.database_url, home))
    try:
        add_versions(ledger.application, name, 0)
    finally:
        ledger.close()


def published_size(cli: Cli) -> int:
    path = cli.home / "log" / "checkpoint.txt"
    return int(path.read_text().splitlines()[1]) if path.exists() else 0


class KeyRotationCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        cli.ok("demo", "--data-only")
        return cli

    def test_finding_7_an_event_signed_with_the_retired_key_fails_verify(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        thief = tmp_path / "thief"
        shutil.copytree(cli.home, thief)  # a copy of the keys taken before the rotation
        cli.ok("rotate-key")

        append_with_home(cli, thief, "forged")

        outcome = cli.run("verify")
        assert outcome.status == 1, outcome
        assert "retired at leaf" in outcome.stdout, outcome

    def test_finding_7_rotate_key_log_keeps_old_proofs_and_checkpoints_verifiable(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        old = tmp_path / "old"
        cli.ok("proof", "--leaf", "0", "--out", str(old))

        rotated = cli.ok("rotate-key", "--log")
        cli.ok("demo", "--data-only")
        new = tmp_path / "new"
        cli.ok("proof", "--leaf", "0", "--out", str(new))

        assert rotated.stdout.startswith("new log key sha256:")
        report = json.loads(
            cli.ok("verify", "--json", "--checkpoint", str(old / "checkpoint.txt")).stdout
        )
        assert report["intact"] is True, report
        assert (cli.home / "keys" / "public" / "log.vkey").read_text() == (
            new / "log.vkey"
        ).read_text()
        assert (old / "log.vkey").read_text() != (new / "log.vkey").read_text()
        for folder in (old, new):
            files = {n: str(folder / n) for n in ("proof.tlog", "entry.dsse.json", "log.vkey")}
            cli.ok(
                "verify-proof",
                "--proof",
                files["proof.tlog"],
                "--entry",
                files["entry.dsse.json"],
                "--vkey",
                files["log.vkey"],
            )
        mixed = cli.run(
            "verify-proof",
            "--proof",
            str(new / "proof.tlog"),
            "--entry",
            str(new / "entry.dsse.json"),
            "--vkey",
            str(old / "log.vkey"),
        )
        assert mixed.status == 1, mixed

    def test_a_checkpoint_daemon_started_before_a_log_rotation_signs_with_the_incoming_key(
        self, cli: Cli
    ) -> None:
        daemon = subprocess.Popen(
            [str(GOVLEDGER), "checkpoint", "--every", "0.2"],
            cwd=cli.cwd,
            env=cli.environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for(lambda: published_size(cli) >= 4)
            cli.ok("rotate-key", "--log")
            append_with_home(cli, cli.home, "after")
            wait_for(lambda: published_size(cli) >= 6)
        finally:
            daemon.send_signal(signal.SIGINT)
            _, errors = daemon.communicate(timeout=30)
        assert "ALARM" not in errors, errors

        report = json.loads(cli.ok("verify", "--json").stdout)
        assert report["intact"] is True, report

    def test_an_interrupted_rotation_blocks_the_next_until_repair_settles_it(
        self, cli: Cli
    ) -> None:
        keys = cli.home / "keys"
        # What a crash between the key switch and the commit leaves behind.
        shutil.copy(keys / "event-signer.key", keys / "event-signer.previous.key")

        refused = cli.run("rotate-key")
        repaired = cli.ok("rotate-key", "--repair")
        cli.ok("rotate-key")

        assert refused.status == 2, refused
        assert "rotate-key --repair" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert "interrupted rotation of the event-signer key undone" in repaired.stdout
        assert json.loads(cli.ok("verify", "--json").stdout)["intact"] is True


class TestKeyRotationCliOnSQLite(KeyRotationCliContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestKeyRotationCliOnPostgres(KeyRotationCliContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
