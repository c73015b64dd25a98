"""Ed25519 signers, key ids and keyrings."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import KeyStoreError, VerificationError
from ledger.keys.ed25519 import Keyring, Signer, keyid_of, public_key_from_pem, public_key_pem

# RFC 8032 section 7.1, TEST 1.
RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
# RFC 8410 section 4: the DER SubjectPublicKeyInfo prefix of every Ed25519 public key.
ED25519_SPKI_PREFIX = "302a300506032b6570032100"


def rfc8032_signer() -> Signer:
    return Signer(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SEED)))


def der_of_pem(pem: bytes) -> bytes:
    """The DER inside a single PEM block, read without any crypto library."""
    lines = pem.decode("ascii").strip().splitlines()
    return base64.b64decode("".join(lines[1:-1]))


def test_a_keyid_is_sha256_of_the_der_subject_public_key_info() -> None:
    expected = hashlib.sha256(bytes.fromhex(ED25519_SPKI_PREFIX + RFC8032_PUBLIC)).hexdigest()

    assert rfc8032_signer().keyid == "sha256:" + expected


def test_a_keyid_is_sha256_and_64_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", Signer.generate().keyid)


def test_anyone_can_recompute_the_keyid_from_the_published_pem() -> None:
    signer = Signer.generate()
    pem = public_key_pem(signer.public_key)

    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert "sha256:" + hashlib.sha256(der_of_pem(pem)).hexdigest() == signer.keyid
    assert keyid_of(public_key_from_pem(pem)) == signer.keyid


def test_distinct_keys_have_distinct_keyids() -> None:
    assert Signer.generate().keyid != Signer.generate().keyid


def test_a_signer_repr_shows_its_keyid_and_no_key_material() -> None:
    signer = rfc8032_signer()
    private_der = der_of_pem(signer.private_pem(None))

    for text in (repr(signer), str(signer)):
        assert text == f"Signer(keyid={signer.keyid!r})"
        assert RFC8032_SEED not in text
        assert private_der.hex() not in text
        assert base64.b64encode(private_der).decode() not in text


def test_a_signer_signs_as_rfc_8032_says() -> None:
    # RFC 8032 section 7.1 TEST 1: the empty message.
    expected = (
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )

    assert rfc8032_signer().sign(b"").hex() == expected


@pytest.mark.parametrize("length", [0, 1, 64, 479, 4096])
def test_a_signer_signs_exactly_as_openssl_does(length: int) -> None:
    # The signer signs with libsodium; Ed25519 is deterministic, so OpenSSL's bytes must match.
    key = Ed25519PrivateKey.generate()
    message = hashlib.sha256(str(length).encode()).digest() * (length // 32 + 1)

    signature = Signer(key).sign(message[:length])

    assert signature == key.sign(message[:length])
    key.public_key().verify(signature, message[:length])


def test_an_unencrypted_private_pem_is_plain_pkcs8() -> None:
    assert rfc8032_signer().private_pem(None).startswith(b"-----BEGIN PRIVATE KEY-----\n")


def test_a_private_pem_with_a_passphrase_is_encrypted() -> None:
    pem = rfc8032_signer().private_pem(b"correct horse")

    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(pem, password=b"correct horse")
    assert isinstance(key, Ed25519PrivateKey)
    assert key.private_bytes_raw().hex() == RFC8032_SEED


def test_refuses_a_public_pem_that_is_not_ed25519() -> None:
    pem = public_key_pem(ec.generate_private_key(ec.SECP256R1()).public_key())  # type: ignore[arg-type]

    with pytest.raises(KeyStoreError, match="expected an Ed25519 public key, got"):
        public_key_from_pem(pem)


def test_refuses_text_that_is_not_a_pem_public_key() -> None:
    with pytest.raises(KeyStoreError, match="not a PEM public key"):
        public_key_from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")


def test_a_keyring_finds_keys_by_keyid() -> None:
    first, second = Signer.generate(), Signer.generate()

    keyring = Keyring([first.public_key, second.public_key, first.public_key])

    assert len(keyring) == 2
    assert set(keyring.keys) == {first.keyid, second.keyid}


def test_a_keyring_verifies_a_signature_by_a_trusted_key() -> None:
    signer = Signer.generate()

    Keyring([signer.public_key]).verify(signer.keyid, signer.sign(b"message"), b"message")


def test_a_keyring_refuses_a_signature_over_another_message() -> None:
    signer = Signer.generate()

    with pytest.raises(VerificationError, match=f"signature by {signer.keyid} does not verify"):
        Keyring([signer.public_key]).verify(signer.keyid, signer.sign(b"message"), b"massage")


def test_a_keyring_refuses_an_unregistered_key() -> None:
    trusted, stranger = Signer.generate(), Signer.generate()

    with pytest.raises(VerificationError, match=f"signed with unregistered key {stranger.keyid}"):
        Keyring([trusted.public_key]).verify(stranger.keyid, stranger.sign(b"m"), b"m")


def test_a_keyring_cannot_be_changed_through_its_keys_view() -> None:
    signer = Signer.generate()
    keyring = Keyring([signer.public_key])

    with pytest.raises(TypeError):
        keyring.keys["sha256:other"] = signer.public_key  # type: ignore[index]
