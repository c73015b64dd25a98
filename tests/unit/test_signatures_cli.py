"""The personal-key and sign commands, driven through their argparse registration."""

from __future__ import annotations

import argparse
import base64
import json
import stat
from pathlib import Path

import pytest

from adapters.ed25519_signatures import Ed25519SignatureVerifier
from api.errors import ConfigurationError
from api.signing_commands import public_key_path, register
from domain.rules.statements import STATEMENT_TYPE, Statement

ARTIFACT = "sha256:" + "ab" * 32
EVIDENCE = ("sha256:" + "cd" * 32, "sha256:" + "ef" * 32)
PASSPHRASE = "correct horse battery staple"


def run(*argv: str) -> int:
    """Parse ``argv`` as the CLI would and run the offline handler it selects."""
    parser = argparse.ArgumentParser(prog="govledger")
    register(parser.add_subparsers(dest="command", required=True))
    arguments = parser.parse_args(argv)
    status: int = arguments.offline(arguments)
    return status


def sign_argv(key: Path, *extra: str) -> list[str]:
    return [
        "sign",
        "--key",
        str(key),
        "--action",
        "approve",
        "--subject",
        "credit-scorer/3",
        "--artifact-digest",
        ARTIFACT,
        "--evidence-digest",
        EVIDENCE[0],
        "--evidence-digest",
        EVIDENCE[1],
        "--signer",
        "alice",
        "--outcome",
        "granted",
        *extra,
    ]


@pytest.fixture
def key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    monkeypatch.setenv("ALICE_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "alice.key"
    assert run("personal-key", "--out", str(path), "--passphrase-env", "ALICE_PASSPHRASE") == 0
    capsys.readouterr()
    return path


def test_personal_key_writes_a_private_and_a_public_key_and_prints_the_key_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ALICE_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "alice.key"

    status = run("personal-key", "--out", str(path), "--passphrase-env", "ALICE_PASSPHRASE")

    out, err = capsys.readouterr()
    public_pem = public_key_path(path).read_text(encoding="ascii")
    keyid = Ed25519SignatureVerifier().keyid(public_pem)
    assert status == 0
    assert f"created personal key {keyid}" in out
    assert str(public_key_path(path)) in out
    assert err == ""
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="ascii").startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


def test_personal_key_never_prints_the_passphrase_or_the_private_key(
    key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    private_pem = key_file.read_text(encoding="ascii")
    monkeypatch.setenv("ALICE_PASSPHRASE", PASSPHRASE)

    run("personal-key", "--out", str(tmp_path / "b.key"), "--passphrase-env", "ALICE_PASSPHRASE")
    run(*sign_argv(key_file, "--passphrase-env", "ALICE_PASSPHRASE"))

    printed = "".join(capsys.readouterr())
    assert PASSPHRASE not in printed
    assert "PRIVATE KEY" not in printed
    assert all(line not in printed for line in private_pem.splitlines()[1:-1])


def test_a_key_without_a_passphrase_is_created_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("personal-key", "--out", str(tmp_path / "alice.key")) == 0

    assert "is not encrypted; use --passphrase-env VAR" in capsys.readouterr().err


def test_personal_key_refuses_to_overwrite_a_key(key_file: Path) -> None:
    before = key_file.read_bytes()

    with pytest.raises(ConfigurationError, match=r"alice\.key already exists"):
        run("personal-key", "--out", str(key_file))
    assert key_file.read_bytes() == before


def test_personal_key_refuses_to_overwrite_a_public_key(tmp_path: Path) -> None:
    public_key_path(tmp_path / "alice.key").write_text("someone else's\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"alice\.key\.pub already exists"):
        run("personal-key", "--out", str(tmp_path / "alice.key"))
    assert not (tmp_path / "alice.key").exists()


def test_a_printed_signature_verifies_over_the_statement(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run(
        *sign_argv(
            key_file, "--signed-at", "2025-06-30T14:05:00Z", "--passphrase-env", "ALICE_PASSPHRASE"
        ),
    )

    printed = json.loads(capsys.readouterr().out)
    statement = Statement(
        action="approve",
        subject="credit-scorer/3",
        artifact_digest=ARTIFACT,
        evidence_digests=EVIDENCE,
        signer="alice",
        signed_at="2025-06-30T14:05:00Z",
        outcome="granted",
    )
    public_pem = public_key_path(key_file).read_text(encoding="ascii")
    verifier = Ed25519SignatureVerifier()
    assert status == 0
    assert set(printed) == {"keyid", "signature", "signed_at", "statement"}
    assert printed["keyid"] == verifier.keyid(public_pem)
    assert printed["signed_at"] == "2025-06-30T14:05:00Z"
    assert printed["statement"].encode("utf-8") == statement.canonical_bytes()
    assert json.loads(printed["statement"])["_type"] == STATEMENT_TYPE
    assert verifier.verify(
        public_pem, base64.b64decode(printed["signature"]), statement.canonical_bytes()
    )


def test_the_signing_time_defaults_to_now_in_utc(
    key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(*sign_argv(key_file, "--passphrase-env", "ALICE_PASSPHRASE"))

    printed = json.loads(capsys.readouterr().out)
    assert printed["signed_at"].endswith("Z")
    assert json.loads(printed["statement"])["signed_at"] == printed["signed_at"]


def test_signing_with_an_encrypted_key_needs_the_passphrase(key_file: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"alice.key is encrypted: give its passphrase"):
        run(*sign_argv(key_file))


def test_a_passphrase_variable_that_is_not_set_is_named(
    key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_SUCH_PASSPHRASE", raising=False)

    with pytest.raises(ConfigurationError, match="environment variable NO_SUCH_PASSPHRASE is not"):
        run(*sign_argv(key_file, "--passphrase-env", "NO_SUCH_PASSPHRASE"))


def test_a_missing_key_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no key file"):
        run(*sign_argv(tmp_path / "missing.key"))


@pytest.mark.parametrize(
    "signed_at", ["2025-06-30 14:05:00", "2025-06-30T14:05:00+02:00", "2025-02-30T14:05:00Z", "now"]
)
def test_a_signing_time_that_is_not_rfc_3339_utc_is_refused(key_file: Path, signed_at: str) -> None:
    with pytest.raises(ConfigurationError, match=r"--signed-at: .* is not an RFC 3339 UTC time"):
        run(*sign_argv(key_file, "--signed-at", signed_at, "--passphrase-env", "ALICE_PASSPHRASE"))


@pytest.mark.parametrize(
    ("option", "digest"),
    [("--artifact-digest", "sha256:XYZ"), ("--evidence-digest", "md5:" + "ab" * 16)],
)
def test_a_digest_that_is_not_sha256_hex_is_refused(
    key_file: Path, option: str, digest: str
) -> None:
    argv = sign_argv(key_file, "--passphrase-env", "ALICE_PASSPHRASE")
    argv[argv.index(option) + 1] = digest

    with pytest.raises(ConfigurationError, match=f"{option}: .* is not sha256:<64 lowercase hex>"):
        run(*argv)
