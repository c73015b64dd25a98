"""Finding 13 / Build 7: an operator's mistake is one line on stderr and exit 2, never a traceback.

Exit 1 is kept for integrity failures. Covered here: policy and other input files that are too
large, not UTF-8 or not strict JSON (NaN, duplicate keys, lone surrogates, deep nesting); a SQLite
ledger whose write lock another process holds past the lock timeout; a key folder the user cannot
read, or a file where a key folder belongs.

Tests run as root here, and root reads a folder of mode 000. So the permission tests run the CLI
with the capabilities that let root ignore file modes (``CAP_DAC_OVERRIDE`` and
``CAP_DAC_READ_SEARCH``) dropped from its bounding set: the command then sees the permission
error an ordinary user would. Run as an ordinary user, the mode alone does it.
"""

from __future__ import annotations

import ctypes
import json
import os
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from domain.rules.policy import default_policy_document
from tests.e2e.conftest import GOVLEDGER, Cli, Outcome, assert_one_line_error

ONE_MIB = 1024 * 1024
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def leaves(cli: Cli) -> int:
    """The number of leaves of an intact ledger."""
    report: dict[str, Any] = json.loads(cli.ok("verify", "--json").stdout)
    return int(report["leaves"])


def policy_bytes(**changes: Any) -> bytes:
    """The default policy document as JSON, with top-level ``changes``."""
    document = default_policy_document()
    document["version"] = "operator-test"
    document.update(changes)
    return json.dumps(document).encode("utf-8")


def _drop_file_mode_override() -> None:
    """In the child, before exec: lose root's power to ignore file modes."""
    if os.geteuid() != 0:
        return
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_as_ordinary_user(cli: Cli, *args: str) -> Outcome:
    """Run ``govledger ARGS`` so that file modes bind it, even when the tests run as root."""
    return _run(cli, args, preexec_fn=_drop_file_mode_override)


def run_with_setting(cli: Cli, variable: str, value: str, *args: str) -> Outcome:
    """Run ``govledger ARGS`` with one more ``GOVLEDGER_*`` variable set."""
    return _run(cli, args, extra_env={variable: value})


def _run(
    cli: Cli,
    args: tuple[str, ...],
    *,
    preexec_fn: Callable[[], None] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Outcome:
    # preexec_fn: only the child drops capabilities, between fork and exec.
    completed = subprocess.run(
        [str(GOVLEDGER), *args],
        cwd=cli.cwd,
        env={**cli.environment(), **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=preexec_fn,
    )
    return Outcome(args, completed.returncode, completed.stdout, completed.stderr)


@contextmanager
def write_lock_held(database_url: str) -> Iterator[None]:
    """Another process's writer: ``BEGIN IMMEDIATE`` on the ledger file, held until exit."""
    path = database_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")


@pytest.fixture(scope="module")
def sqlite_cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """One initialised SQLite ledger for the tests that must leave it unchanged."""
    root = tmp_path_factory.mktemp("operator-errors")
    cli = Cli(cwd=root, home=root / "home", database_url=f"sqlite:///{root / 'ledger.db'}")
    cli.ok("init")
    return cli


BAD_POLICIES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "nan": (policy_bytes(monitoring={"psi_drift": float("nan")}), ("NaN", "finite number")),
    "infinity": (policy_bytes(monitoring={"psi_drift": float("inf")}), ("Infinity", "finite")),
    "huge-exponent": (b'{"version": "x", "n": 1e999}', ("1e999", "finite number")),
    "lone-surrogate": (policy_bytes(version="\ud800"), ("lone surrogate", "$.version")),
    "duplicate-key": (
        policy_bytes()[:-1] + b', "version": "other"}',
        ("duplicate key 'version'",),
    ),
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, ("deeper than 64",)),
    "not-utf8": (policy_bytes(version="\N{EURO SIGN}").replace(b"\\u20ac", b"\xff"), ("byte",)),
    "too-large": (policy_bytes() + b" " * ONE_MIB, ("larger than 1 MiB",)),
}


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_finding_13_a_bad_policy_file_is_one_line_exit_2_and_records_nothing(
    sqlite_cli: Cli, case: str
) -> None:
    content, fragments = BAD_POLICIES[case]
    path = sqlite_cli.cwd / f"{case}.json"
    path.write_bytes(content)
    before = leaves(sqlite_cli)

    outcome = sqlite_cli.run("set-policy", str(path), "--actor", "admin")

    assert_one_line_error(outcome, str(path), *fragments)
    assert leaves(sqlite_cli) == before


def test_finding_13_a_policy_file_not_utf8_names_the_byte_offset(sqlite_cli: Cli) -> None:
    content = b'{"version": "\xff"}'
    path = sqlite_cli.cwd / "latin1.json"
    path.write_bytes(content)

    outcome = sqlite_cli.run("set-policy", str(path), "--actor", "admin")

    assert_one_line_error(outcome, str(path), "not UTF-8", f"byte offset {content.index(0xFF)}")


def test_a_policy_file_of_exactly_the_cap_is_read(sqlite_cli: Cli) -> None:
    content = policy_bytes(approvals={"low": 1, "medium": 1, "high": 2})
    path = sqlite_cli.cwd / "at-the-cap.json"
    path.write_bytes(content + b" " * (ONE_MIB - len(content)))

    outcome = sqlite_cli.ok("set-policy", str(path), "--actor", "admin")

    assert outcome.stdout.startswith("policy operator-test (sha256:"), outcome


@pytest.mark.parametrize(
    ("content", "fragments"),
    [(b"\xfe\xff not a note", ("not UTF-8", "byte offset 0")), (b"x" * (ONE_MIB + 1), ("1 MiB",))],
    ids=["not-utf8", "too-large"],
)
def test_finding_13_a_bad_checkpoint_file_given_to_verify_is_an_operator_error(
    sqlite_cli: Cli, content: bytes, fragments: tuple[str, ...]
) -> None:
    path = sqlite_cli.cwd / "held-checkpoint.txt"
    path.write_bytes(content)

    outcome = sqlite_cli.run("verify", "--checkpoint", str(path))

    assert_one_line_error(outcome, str(path), *fragments)


def test_finding_13_verify_proof_given_a_file_that_is_not_text_is_an_operator_error(
    tmp_path: Path,
) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    proof = tmp_path / "proof.tlog"
    proof.write_bytes(b"\x80\x81")

    outcome = cli.run(
        "verify-proof", "--proof", str(proof), "--entry", "e.json", "--vkey", "log.vkey"
    )

    assert_one_line_error(outcome, str(proof), "not UTF-8", "byte offset 0")


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_build_7_a_non_finite_checkpoint_interval_is_one_line_naming_the_setting(
    tmp_path: Path, value: str
) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")

    outcome = run_with_setting(cli, "GOVLEDGER_CHECKPOINT_EVERY_SECONDS", value, "verify")

    assert_one_line_error(outcome, "GOVLEDGER_CHECKPOINT_EVERY_SECONDS", "finite number")


@pytest.mark.parametrize(
    "command", [("set-policy", "{policy}", "--actor", "admin"), ("checkpoint",), ("demo",)]
)
def test_finding_13_a_sqlite_ledger_locked_by_another_writer_is_one_line_exit_2(
    sqlite_cli: Cli, command: tuple[str, ...]
) -> None:
    policy = sqlite_cli.cwd / "good-policy.json"
    policy.write_bytes(policy_bytes())
    args = [part.format(policy=policy) for part in command]
    before = leaves(sqlite_cli)
    assert sqlite_cli.database_url is not None

    with write_lock_held(sqlite_cli.database_url):
        outcome = sqlite_cli.run(*args)

    assert_one_line_error(outcome, "locked by another writer", "5 s", "retry")
    assert leaves(sqlite_cli) == before


def test_finding_13_a_read_only_sqlite_file_is_one_line_saying_to_make_it_writable(
    tmp_path: Path,
) -> None:
    database = tmp_path / "ledger.db"
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=f"sqlite:///{database}")
    cli.ok("init")
    before = leaves(cli)
    database.chmod(0o444)

    outcome = run_as_ordinary_user(cli, "demo")

    database.chmod(0o644)
    assert_one_line_error(outcome, "readonly database", "may read and write the SQLite file")
    assert leaves(cli) == before


class KeyFolderContract:
    """An unusable key folder is one line naming it, on every engine; needs ``database_url``."""

    @pytest.fixture
    def cli(self, tmp_path: Path, database_url: str) -> Iterator[Cli]:
        cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=database_url)
        cli.ok("init")
        yield cli
        (cli.home / "keys").chmod(0o700)  # let pytest remove the folder

    @pytest.mark.parametrize("command", ["init", "demo", "verify"])
    def test_finding_13_an_unreadable_key_folder_is_one_line_naming_it(
        self, cli: Cli, command: str
    ) -> None:
        before = leaves(cli)
        keys = cli.home / "keys"
        keys.chmod(0)

        outcome = run_as_ordinary_user(cli, command)

        keys.chmod(0o700)
        assert_one_line_error(outcome, f"cannot open folder {keys}:", "Permission denied")
        assert leaves(cli) == before

    def test_finding_13_a_file_where_the_public_key_folder_belongs_is_one_line(
        self, cli: Cli
    ) -> None:
        public = cli.home / "keys" / "public"
        for path in public.iterdir():
            path.unlink()
        public.rmdir()
        public.write_text("not a folder\n")

        outcome = cli.run("init")

        assert_one_line_error(outcome, str(public))


class TestKeyFolderOnSQLite(KeyFolderContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestKeyFolderOnPostgres(KeyFolderContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


def test_build_7_personal_key_never_writes_through_a_symlink_in_place_of_the_public_key(
    tmp_path: Path,
) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    key = tmp_path / "alice.key"
    (tmp_path / "alice.key.pub").symlink_to(tmp_path / "elsewhere" / "planted.pem")

    outcome = cli.run("personal-key", "--out", str(key))

    assert_one_line_error(outcome, "alice.key.pub already exists")
    assert not key.exists()
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("umask", [0o000, 0o077])
def test_build_7_personal_key_files_get_their_modes_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    key = tmp_path / "alice.key"

    outcome = _run(cli, ("personal-key", "--out", str(key)), preexec_fn=lambda: _umask(umask))

    assert outcome.status == 0, outcome
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "alice.key.pub").stat().st_mode) == 0o644


def _umask(mask: int) -> None:
    os.umask(mask)


def test_build_7_sign_refuses_a_key_file_far_too_large_to_be_a_key(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    key = tmp_path / "not-a-key.pem"
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * ONE_MIB)
    digest = "sha256:" + "ab" * 32

    outcome = cli.run(
        "sign", "--key", str(key), "--action", "approve", "--subject", "v1",
        "--artifact-digest", digest, "--signer", "alice", "--outcome", "granted",
    )  # fmt: skip

    assert_one_line_error(outcome, str(key), "too large for a key file")
