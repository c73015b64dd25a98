"""Personal Ed25519 keys and signatures: the signing helper and the verifier adapter."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from adapters.ed25519_signatures import Ed25519SignatureVerifier, PublicKeyError
from adapters.personal_signing import (
    PersonalKey,
    PersonalKeyError,
    generate_personal_key,
    load_personal_key,
)
from domain.ports.protocols import SignatureVerifier
from domain.rules.statements import Statement
from ledger.keys.ed25519 import keyid_of, public_key_from_pem

DIGEST = "sha256:" + "ab" * 32


def approval(**changes: str) -> Statement:
    fields = {
        "action": "approve",
        "subject": "model-version-1",
        "artifact_digest": DIGEST,
        "signer": "alice",
        "signed_at": "2025-06-30T14:05:00Z",
        "outcome": "granted",
    }
    return Statement(evidence_digests=("sha256:" + "cd" * 32,), **{**fields, **changes})


@pytest.fixture
def key(tmp_path: Path) -> PersonalKey:
    return generate_personal_key(tmp_path / "alice.key", passphrase=None)


@pytest.fixture
def verifier() -> SignatureVerifier:
    return Ed25519SignatureVerifier()


def test_a_signed_statement_verifies_with_the_public_key(
    key: PersonalKey, verifier: SignatureVerifier
) -> None:
    statement = approval()

    signature = key.sign(statement)

    assert len(signature) == 64
    assert verifier.verify(key.public_key_pem(), signature, statement.canonical_bytes())


def test_a_signature_does_not_verify_another_statement(
    key: PersonalKey, verifier: SignatureVerifier
) -> None:
    signature = key.sign(approval())

    assert not verifier.verify(
        key.public_key_pem(), signature, approval(outcome="rejected").canonical_bytes()
    )


def test_a_signature_does_not_verify_with_another_key(
    key: PersonalKey, verifier: SignatureVerifier, tmp_path: Path
) -> None:
    other = generate_personal_key(tmp_path / "bob.key", passphrase=None)
    statement = approval()

    assert not verifier.verify(
        other.public_key_pem(), key.sign(statement), statement.canonical_bytes()
    )


@pytest.mark.parametrize(
    "garble",
    [
        lambda s: bytes([s[0] ^ 1]) + s[1:],
        lambda s: s[:-1],
        lambda s: s + b"\0",
        lambda _: b"",
    ],
    ids=["flipped-bit", "truncated", "extended", "empty"],
)
def test_a_garbled_signature_does_not_verify(
    key: PersonalKey, verifier: SignatureVerifier, garble: Callable[[bytes], bytes]
) -> None:
    statement = approval()
    signature = key.sign(statement)

    assert not verifier.verify(key.public_key_pem(), garble(signature), statement.canonical_bytes())


def p256_public_key_pem() -> str:
    return (
        generate_private_key(SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "\ud800",
        p256_public_key_pem(),
    ],
    ids=["empty", "text", "bad-der", "lone-surrogate", "p256-key"],
)
def test_a_garbled_or_foreign_public_key_verifies_nothing(
    key: PersonalKey, verifier: SignatureVerifier, pem: str
) -> None:
    statement = approval()

    assert not verifier.verify(pem, key.sign(statement), statement.canonical_bytes())
    with pytest.raises(PublicKeyError):
        verifier.keyid(pem)


def test_the_key_id_agrees_with_the_ledger(key: PersonalKey, verifier: SignatureVerifier) -> None:
    ledger_keyid = keyid_of(public_key_from_pem(key.public_key_pem().encode("ascii")))

    assert verifier.keyid(key.public_key_pem()) == key.keyid == ledger_keyid
    assert key.keyid.startswith("sha256:")
    assert len(key.keyid) == len("sha256:") + 64


def test_a_key_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"

    generate_personal_key(path, passphrase="correct horse")

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_loaded_key_signs_as_the_generated_one(
    key: PersonalKey, verifier: SignatureVerifier, tmp_path: Path
) -> None:
    loaded = load_personal_key(tmp_path / "alice.key", passphrase=None)
    statement = approval()

    assert loaded.keyid == key.keyid
    assert verifier.verify(
        key.public_key_pem(), loaded.sign(statement), statement.canonical_bytes()
    )


def test_an_encrypted_key_opens_with_its_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    created = generate_personal_key(path, passphrase="correct horse")

    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert load_personal_key(path, passphrase="correct horse").keyid == created.keyid


def test_an_encrypted_key_needs_its_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    generate_personal_key(path, passphrase="correct horse")

    with pytest.raises(PersonalKeyError, match=r"alice.key is encrypted: give its passphrase"):
        load_personal_key(path, passphrase=None)


def test_a_wrong_passphrase_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    generate_personal_key(path, passphrase="correct horse")

    with pytest.raises(PersonalKeyError, match="the passphrase is wrong"):
        load_personal_key(path, passphrase="battery staple")


def test_a_passphrase_for_a_plain_key_is_refused(key: PersonalKey, tmp_path: Path) -> None:
    with pytest.raises(PersonalKeyError, match="is not encrypted: give no passphrase"):
        load_personal_key(tmp_path / "alice.key", passphrase="correct horse")


def test_a_missing_key_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(PersonalKeyError, match=r"no key file .*govledger personal-key --out"):
        load_personal_key(tmp_path / "missing.key", passphrase=None)


def test_a_key_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n", encoding="utf-8")

    with pytest.raises(PersonalKeyError, match="it is not a PKCS#8 PEM private key"):
        load_personal_key(path, passphrase=None)


def test_a_key_of_another_algorithm_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p256.key"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    with pytest.raises(PersonalKeyError, match="not an Ed25519 key"):
        load_personal_key(path, passphrase=None)


def test_an_existing_file_is_never_overwritten(key: PersonalKey, tmp_path: Path) -> None:
    path = tmp_path / "alice.key"
    before = path.read_bytes()

    with pytest.raises(PersonalKeyError, match="already exists"):
        generate_personal_key(path, passphrase=None)
    assert path.read_bytes() == before


def test_an_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PersonalKeyError, match="the passphrase is empty"):
        generate_personal_key(tmp_path / "alice.key", passphrase="")
    assert not (tmp_path / "alice.key").exists()


def test_a_key_never_shows_its_private_material(key: PersonalKey, tmp_path: Path) -> None:
    private_pem = (tmp_path / "alice.key").read_text(encoding="ascii")
    body = "".join(private_pem.splitlines()[1:-1])

    assert repr(key) == f"PersonalKey(keyid={key.keyid!r})"
    assert body not in repr(key)
    assert not hasattr(key, "__dict__")
