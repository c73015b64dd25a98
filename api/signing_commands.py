"""The personal-signature commands of the CLI: personal-key and sign.

A responsible person creates their own Ed25519 key, has an admin register its public key, and
signs the canonical statement of each decision (``domain.rules.statements``). Both commands work
without a database. No private key material and no passphrase is ever printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from adapters.personal_signing import PersonalKeyError, generate_personal_key, load_personal_key
from api.commands import EXIT_OK
from api.errors import ConfigurationError
from domain.rules.statements import Statement
from ledger.encoding.digests import is_sha256_digest

__all__ = ["personal_key", "public_key_path", "register", "sign_statement"]

_PUBLIC_FILE_MODE = 0o644
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``personal-key`` and ``sign`` to the CLI, as commands that need no database."""
    text = "create your personal Ed25519 signing key and its public key beside it"
    create = subparsers.add_parser("personal-key", help=text, description=text)
    create.set_defaults(offline=personal_key)
    create.add_argument("--out", type=Path, required=True, metavar="FILE", help="new key file")
    _passphrase_argument(create, "encrypt the key with the passphrase in this variable")
    text = "sign the canonical statement of a decision with your personal key"
    sign = subparsers.add_parser("sign", help=text, description=text)
    sign.set_defaults(offline=sign_statement)
    sign.add_argument("--key", type=Path, required=True, metavar="FILE", help="your key file")
    sign.add_argument("--action", required=True, help="approve, reject, accept_risk, ...")
    sign.add_argument("--subject", required=True, help="id of the model version or finding")
    sign.add_argument("--artifact-digest", required=True, metavar="sha256:HEX")
    sign.add_argument(
        "--evidence-digest",
        action="append",
        default=[],
        metavar="sha256:HEX",
        help="a piece of evidence relied on (repeatable, in order)",
    )
    sign.add_argument("--signer", required=True, metavar="NAME", help="your principal name")
    sign.add_argument("--outcome", required=True, help="granted, rejected, passed, failed, ...")
    sign.add_argument("--signed-at", metavar="TIME", help="RFC 3339 UTC time (default: now)")
    _passphrase_argument(sign, "the key's passphrase is in this variable")


def personal_key(arguments: argparse.Namespace) -> int:
    """Create a key file (mode 0600) and ``<file>.pub`` (0644); print the key id and the paths.

    Both files are new (a symlink in their place counts as existing), or neither is left.
    """
    out: Path = arguments.out
    passphrase = _passphrase(arguments.passphrase_env)
    public_path = public_key_path(out)
    for path in (out, public_path):
        if path.exists() or path.is_symlink():
            raise ConfigurationError(f"{path} already exists: choose another --out")
    try:
        key = generate_personal_key(out, passphrase)
    except PersonalKeyError as exc:
        raise ConfigurationError(str(exc)) from None
    try:
        _write_new_public_file(public_path, key.public_key_pem())
    except OSError as exc:
        out.unlink(missing_ok=True)  # never leave a private key without its public key
        raise ConfigurationError(
            f"cannot create {public_path}: {exc.strerror or exc}; nothing was created"
        ) from None
    print(f"created personal key {key.keyid}")
    print(f"private key in {out}; public key in {public_path}: have an admin register it")
    if passphrase is None:
        print(
            f"govledger: warning: {out} is not encrypted; use --passphrase-env VAR to encrypt it",
            file=sys.stderr,
        )
    return EXIT_OK


def sign_statement(arguments: argparse.Namespace) -> int:
    """Sign a decision's statement; print keyid, base64 signature, time and statement as JSON."""
    signed_at: str = arguments.signed_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _check_time(signed_at)
    for option, digest in [
        ("--artifact-digest", arguments.artifact_digest),
        *(("--evidence-digest", evidence) for evidence in arguments.evidence_digest),
    ]:
        if not is_sha256_digest(digest):
            raise ConfigurationError(f"{option}: {digest!r} is not sha256:<64 lowercase hex>")
    statement = Statement(
        action=arguments.action,
        subject=arguments.subject,
        artifact_digest=arguments.artifact_digest,
        evidence_digests=tuple(arguments.evidence_digest),
        signer=arguments.signer,
        signed_at=signed_at,
        outcome=arguments.outcome,
    )
    passphrase = _passphrase(arguments.passphrase_env)
    try:
        key = load_personal_key(arguments.key, passphrase)
    except PersonalKeyError as exc:
        raise ConfigurationError(str(exc)) from None
    document = {
        "keyid": key.keyid,
        "signature": base64.b64encode(key.sign(statement)).decode("ascii"),
        "signed_at": signed_at,
        "statement": statement.canonical_bytes().decode("utf-8"),
    }
    print(json.dumps(document, indent=2, ensure_ascii=False))
    return EXIT_OK


def _write_new_public_file(path: Path, text: str) -> None:
    """Create ``path`` (never through a symlink, never over a file) as mode 0644, any umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PUBLIC_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), _PUBLIC_FILE_MODE)  # the umask may have changed the bits
        file.write(text)


def public_key_path(key_path: Path) -> Path:
    """Where the public key of the key file ``key_path`` is written: ``<file>.pub``."""
    return key_path.with_name(key_path.name + ".pub")


def _passphrase_argument(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--passphrase-env", metavar="VAR", help=f"{text} (never on the line)")


def _passphrase(variable: str | None) -> str | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ConfigurationError(
            f"--passphrase-env: environment variable {variable} is not set or empty"
        )
    return value


def _check_time(text: str) -> None:
    try:
        if _UTC_TIME.fullmatch(text):
            datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")  # the calendar: no 02-30
            return
    except ValueError:
        pass
    raise ConfigurationError(
        f"--signed-at: {text!r} is not an RFC 3339 UTC time such as 2025-06-30T14:05:00Z"
    )
