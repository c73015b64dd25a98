"""The transparency-log commands as a user drives them: checkpoint, proof, verify-proof."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from api.composition import open_ledger
from api.database import parse_database_url
from tests.conftest import make_settings
from tests.e2e.conftest import GOVLEDGER, Cli, Outcome, assert_one_line_error
from tests.integration.raw_access import raw_access_for
from tests.integration.test_signed_store import add_versions


def run_briefly(cli: Cli, *args: str, timeout: float = 30) -> Outcome:
    """Run ``govledger ARGS``; a command still running after ``timeout`` seconds fails the test."""
    completed = subprocess.run(
        [str(GOVLEDGER), *args],
        cwd=cli.cwd,
        env=cli.environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Outcome(args, completed.returncode, completed.stdout, completed.stderr)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def append_without_checkpoint(cli: Cli, tmp_path: Path, *, versions: int) -> None:
    """Append from this test's process, another one than the daemon, cutting no checkpoint."""
    assert cli.database_url is not None
    settings = make_settings(cli.database_url, cli.home).model_copy(
        update={"checkpoint_every_leaves": 10_000, "checkpoint_every_seconds": 3600.0}
    )
    ledger = open_ledger(settings)
    try:
        add_versions(ledger.application, "credit", versions)
    finally:
        ledger.close()


class LogCliContract:
    """Needs ``database_url`` from a subclass."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Cli:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        return cli

    def test_checkpoint_prints_a_signed_note_of_the_whole_log(self, cli: Cli) -> None:
        cli.ok("demo", "--data-only")

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
        cli.ok("demo", "--data-only")
        cli.ok("demo", "--data-only")
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
        cli.ok("demo", "--data-only")
        trusted = tmp_path / "trusted.txt"
        trusted.write_text(cli.ok("checkpoint").stdout)
        cli.ok("demo", "--data-only")
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
        cli.ok("demo", "--data-only")
        held = tmp_path / "held.txt"
        held.write_text(cli.ok("checkpoint").stdout)

        assert cli.ok("verify", "--checkpoint", str(held)).stdout.startswith("ledger intact")

    def test_proof_of_a_missing_leaf_is_a_usage_error(self, cli: Cli, tmp_path: Path) -> None:
        cli.ok("demo", "--data-only")

        outcome = cli.run("proof", "--leaf", "99", "--out", str(tmp_path / "p"))

        assert_one_line_error(outcome, "the log has no leaf 99")

    # Finding 13 (the log commands' part): one line and exit 2, nothing half-written.

    @pytest.mark.parametrize("every", ["-1", "nan", "inf", "0", "soon"])
    def test_finding_13_checkpoint_every_refuses_what_is_not_a_positive_interval(
        self, cli: Cli, every: str
    ) -> None:
        """Finding 13: -1 and nan gave tracebacks, 0 busy-looped."""
        outcome = run_briefly(cli, "checkpoint", f"--every={every}")

        assert_one_line_error(outcome, "--every", "positive number of seconds")

    @pytest.mark.parametrize("kind", ["file", "non-empty folder"])
    def test_finding_13_proof_out_onto_an_existing_file_or_folder_is_refused(
        self, cli: Cli, tmp_path: Path, kind: str
    ) -> None:
        """Finding 13: --out onto a file gave a traceback; onto a folder it mixed files in."""
        cli.ok("demo", "--data-only")
        out = tmp_path / "taken"
        if kind == "file":
            out.write_text("mine")
        else:
            out.mkdir()
            (out / "notes.txt").write_text("mine")
        before = sorted(p.name for p in tmp_path.iterdir())

        outcome = cli.run("proof", "--leaf", "1", "--out", str(out))

        assert_one_line_error(outcome, str(out), "choose a new folder")
        assert sorted(p.name for p in tmp_path.iterdir()) == before
        assert (out.read_text() if kind == "file" else (out / "notes.txt").read_text()) == "mine"

    def test_proof_out_may_be_an_empty_folder(self, cli: Cli, tmp_path: Path) -> None:
        cli.ok("demo", "--data-only")
        out = tmp_path / "empty"
        out.mkdir()

        cli.ok("proof", "--leaf", "1", "--out", str(out))

        assert sorted(p.name for p in out.iterdir()) == [
            "checkpoint.txt",
            "entry.dsse.json",
            "log.vkey",
            "proof.tlog",
        ]

    def test_verify_reports_an_unreadable_published_checkpoint_and_does_not_raise(
        self, cli: Cli
    ) -> None:
        """Finding 6: verify never raises; a published copy that is not text is a problem."""
        cli.ok("demo", "--data-only")
        (cli.home / "log" / "checkpoint.txt").write_bytes(b"\xff\xfe not a note\n")

        outcome = cli.run("verify")

        assert outcome.status == 1, outcome
        assert "Traceback" not in outcome.stdout + outcome.stderr
        assert "log: published checkpoint: cannot read" in outcome.stdout

    def test_finding_3_proof_never_hands_out_a_proof_from_a_changed_subtree(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Finding 3: a changed subtree row off the root's path made `proof` write a bad proof."""
        cli.ok("demo", "--data-only")
        assert cli.database_url is not None
        raw_access_for(parse_database_url(cli.database_url)).execute(
            "UPDATE ledger_tree_nodes SET hash = ? WHERE level = 1 AND node_index = 0",
            (b"\x05" * 32,),
            bypass_append_only=True,
        )
        out = tmp_path / "proof"

        outcome = cli.run("proof", "--leaf", "2", "--out", str(out))

        assert_one_line_error(outcome, "integrity failure", "leaf 2", status=1)
        assert not out.exists()

    # Finding 16: the daemon cuts on a timer what other processes appended while it idled.

    def test_finding_16_checkpoint_every_cuts_leaves_appended_by_another_process(
        self, cli: Cli, tmp_path: Path
    ) -> None:
        """Finding 16: the tail must not stay unsigned while the writer idles."""
        daemon, published = start_checkpoint_daemon(cli)
        try:
            append_without_checkpoint(cli, tmp_path, versions=3)
            wait_for(lambda: published.read_text().split("\n")[1] == "5")
        finally:
            daemon.send_signal(signal.SIGINT)
            stdout, stderr = daemon.communicate(timeout=30)

        assert daemon.returncode == 0, stderr
        assert stderr == ""
        assert stdout.splitlines() == ["checkpoint of 1 leaves", "checkpoint of 5 leaves"]

    def test_checkpoint_every_stops_on_sigterm_after_announcing_what_it_published(
        self, cli: Cli
    ) -> None:
        """SIGTERM stops the daemon as Ctrl-C does: exit 0, nothing cut short."""
        daemon, _ = start_checkpoint_daemon(cli)
        daemon.send_signal(signal.SIGTERM)
        stdout, stderr = daemon.communicate(timeout=30)

        assert daemon.returncode == 0, stderr
        assert stdout.splitlines() == ["checkpoint of 1 leaves"]


def start_checkpoint_daemon(cli: Cli) -> tuple[subprocess.Popen[str], Path]:
    """Start ``checkpoint --every 0.2``; return it once it has published its first checkpoint."""
    daemon = subprocess.Popen(
        [str(GOVLEDGER), "checkpoint", "--every", "0.2"],
        cwd=cli.cwd,
        env=cli.environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    published = cli.home / "log" / "checkpoint.txt"
    try:
        wait_for(lambda: published.exists() and published.read_text().split("\n")[1] == "1")
    except BaseException:
        daemon.kill()
        daemon.communicate(timeout=30)
        raise
    return daemon, published


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


def test_finding_14_home_log_and_checkpoint_have_explicit_modes_under_umask_000(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Finding 14: GOVLEDGER_HOME, log/ and checkpoint.txt followed the umask."""
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=sqlite_url)

    for args in (["init"], ["checkpoint"]):
        completed = subprocess.run(
            [str(GOVLEDGER), *args],
            cwd=cli.cwd,
            env=cli.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            preexec_fn=lambda: os.umask(0),
        )
        assert completed.returncode == 0, completed.stderr

    modes = {
        path: stat.S_IMODE((cli.home / path).stat().st_mode)
        for path in ("", "keys", "log", "log/checkpoint.txt")
    }
    assert modes == {"": 0o700, "keys": 0o700, "log": 0o700, "log/checkpoint.txt": 0o644}
