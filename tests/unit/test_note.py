"""Signed notes (c2sp.org/signed-note) against the sumdb/note, C2SP and transparency-dev vectors."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.errors import KeyStoreError, VerificationError
from ledger.keys.ed25519 import Signer
from ledger.tlog.note import (
    NoteSignature,
    NoteVerifier,
    SignedNote,
    note_key_hash,
    open_note,
    sign_note,
    vkey_for,
)

VECTORS_FILE = Path(__file__).parent.parent / "data" / "signed_note_vectors.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
SETS: dict[str, dict[str, Any]] = {entry["name"]: entry for entry in DOCUMENT["sets"]}
PETER = SETS["sumdb_note_peterneumann_sign_verify"]
ENOCH = SETS["sumdb_note_enochroot_verify"]
C2SP_EXAMPLE = SETS["c2sp_signed_note_example"]
KEYPAIRS: list[list[str]] = SETS["formats_test_keypairs_keyid"]["pairs"]
TYPE_1_VKEY, TYPE_4_VKEY = SETS["formats_vkey_keyid_types_1_and_4"]["vkeys"]

BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
TEXT = "If you think cryptography is the answer to your problem,\n"


def signer_from_skey(skey: str) -> tuple[str, Signer]:
    """The name and signer of a sumdb ``PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`` key.

    Test-only: the ledger never reads private keys in this encoding.
    """
    private, key, name, hash_hex, encoded = skey.split("+", 4)
    assert (private, key) == ("PRIVATE", "KEY")
    raw = base64.b64decode(encoded, validate=True)
    assert raw[0] == 0x01
    assert len(raw) == 33
    signer = Signer(Ed25519PrivateKey.from_private_bytes(raw[1:]))
    assert note_key_hash(name, signer.public_key) == int(hash_hex, 16)
    return name, signer


def verifier_of(name: str, signer: Signer) -> NoteVerifier:
    return NoteVerifier.from_vkey(vkey_for(name, signer.public_key))


def signed_by(text: str, *keys: tuple[str, Signer]) -> str:
    """``text`` signed by each key in turn, as one note."""
    signatures = tuple(
        SignedNote.from_text(sign_note(text, name, signer)).signatures[0] for name, signer in keys
    )
    return SignedNote(text, signatures).to_text()


def replace_last_signature_byte(note: str) -> str:
    signed = SignedNote.from_text(note)
    last = signed.signatures[-1]
    tampered = NoteSignature(
        last.name, last.key_hash, last.signature[:-1] + bytes([last.signature[-1] ^ 1])
    )
    return SignedNote(signed.text, (*signed.signatures[:-1], tampered)).to_text()


LOG = signer_from_skey(KEYPAIRS[0][0])
KNOWN = signer_from_skey(KEYPAIRS[1][0])
KNOWN_AGAIN = signer_from_skey(KEYPAIRS[2][0])
UNKNOWN = signer_from_skey(KEYPAIRS[3][0])


# Vectors: golang.org/x/mod/sumdb/note.


def test_signing_reproduces_the_sumdb_peter_neumann_note_byte_for_byte() -> None:
    name, signer = signer_from_skey(PETER["skey"])

    assert sign_note(PETER["text"], name, signer) == PETER["signed_note"]


def test_the_vkey_of_the_sumdb_signing_key_is_the_published_vkey() -> None:
    name, signer = signer_from_skey(PETER["skey"])

    assert vkey_for(name, signer.public_key) == PETER["vkey"]


def test_the_sumdb_peter_neumann_note_opens_to_its_text() -> None:
    verifier = NoteVerifier.from_vkey(PETER["vkey"])

    assert open_note(PETER["signed_note"], [verifier]) == PETER["text"]


def test_the_sumdb_enoch_root_note_opens_to_its_text() -> None:
    verifier = NoteVerifier.from_vkey(ENOCH["vkey"])

    assert open_note(ENOCH["signed_note"], [verifier]) == PETER["text"]


def test_a_note_signed_by_both_sumdb_keys_opens_with_either_key() -> None:
    both = PETER["signed_note"] + ENOCH["signed_note"].split("\n\n")[1]

    for vkey in (PETER["vkey"], ENOCH["vkey"]):
        assert open_note(both, [NoteVerifier.from_vkey(vkey)]) == PETER["text"]


# Vectors: C2SP signed-note and transparency-dev/formats keys.


def test_the_c2sp_example_note_opens_to_its_text() -> None:
    verifier = NoteVerifier.from_vkey(C2SP_EXAMPLE["vkey"])

    assert open_note(C2SP_EXAMPLE["signed_note"], [verifier]) == "This is an example message.\n"


@pytest.mark.parametrize(("skey", "vkey"), KEYPAIRS, ids=[vkey for _, vkey in KEYPAIRS])
def test_each_formats_signing_key_has_the_published_vkey(skey: str, vkey: str) -> None:
    name, signer = signer_from_skey(skey)

    assert vkey_for(name, signer.public_key) == vkey


@pytest.mark.parametrize(
    "vkey", [PETER["vkey"], ENOCH["vkey"], C2SP_EXAMPLE["vkey"], TYPE_1_VKEY, KEYPAIRS[0][1]]
)
def test_an_ed25519_vkey_reads_and_writes_back_unchanged(vkey: str) -> None:
    assert NoteVerifier.from_vkey(vkey).to_vkey() == vkey


def test_a_cosignature_vkey_is_refused_for_its_type_after_its_key_hash_checks_out() -> None:
    with pytest.raises(KeyStoreError, match="unsupported signature type 0x04"):
        NoteVerifier.from_vkey(TYPE_4_VKEY)


def test_the_cosignature_vkey_key_hash_covers_its_type_byte() -> None:
    name, hash_hex, encoded = TYPE_4_VKEY.split("+", 2)
    key = base64.b64decode(encoded)
    digest = hashlib.sha256(name.encode() + b"\n" + key).digest()

    assert key[0] == 0x04
    assert digest[:4].hex() == hash_hex


def test_a_note_signed_by_known_keys_and_an_unknown_key_opens() -> None:
    note = signed_by(TEXT, LOG, KNOWN, KNOWN_AGAIN, UNKNOWN)
    verifiers = [verifier_of(*LOG), verifier_of(*KNOWN), verifier_of(*KNOWN_AGAIN)]

    assert open_note(note, verifiers) == TEXT


def test_a_note_signed_twice_by_one_key_opens() -> None:
    note = signed_by(TEXT, LOG, KNOWN, KNOWN)

    assert open_note(note, [verifier_of(*KNOWN)]) == TEXT


# Signing.


def test_a_signed_note_is_the_text_a_blank_line_and_one_em_dash_signature_line() -> None:
    name, signer = LOG
    note = sign_note(TEXT, name, signer)

    text, signature_line = note.split("\n\n")
    assert text + "\n" == TEXT
    assert signature_line.startswith("\u2014 Log ")
    assert signature_line.endswith("\n")


def test_the_signature_starts_with_the_big_endian_key_hash() -> None:
    name, signer = LOG
    encoded = sign_note(TEXT, name, signer).split(" ")[-1]

    assert base64.b64decode(encoded)[:4] == bytes.fromhex("2271c621")


def test_a_note_text_may_contain_blank_lines() -> None:
    name, signer = LOG
    text = "first\n\nthird\n\n"

    assert open_note(sign_note(text, name, signer), [verifier_of(*LOG)]) == text


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\u00a0b", "a\tb"])
def test_signing_refuses_a_key_name_with_a_space_or_plus_or_nothing(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        sign_note(TEXT, name, LOG[1])


def test_signing_refuses_text_without_a_final_newline() -> None:
    with pytest.raises(ValueError, match="newline"):
        sign_note("no newline", "Log", LOG[1])


def test_signing_refuses_text_with_a_carriage_return() -> None:
    with pytest.raises(ValueError, match="control character"):
        sign_note("windows\r\n", "Log", LOG[1])


def test_a_verifier_whose_key_hash_does_not_match_its_key_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="is not the hash"):
        NoteVerifier("Log", 0x2271C620, LOG[1].public_key)


# Opening: signatures.


def test_a_note_with_tampered_text_is_rejected() -> None:
    note = sign_note(TEXT, *LOG).replace("cryptography", "cryptology")

    with pytest.raises(VerificationError, match="Log\\+2271c621 does not verify"):
        open_note(note, [verifier_of(*LOG)])


def test_a_note_with_a_tampered_signature_is_rejected() -> None:
    note = replace_last_signature_byte(sign_note(TEXT, *LOG))

    with pytest.raises(VerificationError, match="does not verify"):
        open_note(note, [verifier_of(*LOG)])


def test_a_bad_signature_by_a_known_key_rejects_a_note_another_known_key_signed() -> None:
    note = replace_last_signature_byte(signed_by(TEXT, LOG, KNOWN))

    with pytest.raises(VerificationError, match="Known\\+451c786d does not verify"):
        open_note(note, [verifier_of(*LOG), verifier_of(*KNOWN)])


def test_a_note_signed_only_by_an_unknown_key_is_rejected() -> None:
    note = sign_note(TEXT, *UNKNOWN)

    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(note, [verifier_of(*LOG)])


def test_a_signature_by_a_known_name_with_another_key_hash_is_ignored() -> None:
    note = sign_note(TEXT, "Log", UNKNOWN[1])

    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(note, [verifier_of(*LOG)])


def test_a_signature_by_a_known_key_hash_under_another_name_is_ignored() -> None:
    signature = SignedNote.from_text(sign_note(TEXT, *LOG)).signatures[0]
    renamed = NoteSignature("Other", signature.key_hash, signature.signature)

    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(SignedNote(TEXT, (renamed,)).to_text(), [verifier_of(*LOG)])


def test_a_note_opened_with_no_verifiers_is_rejected() -> None:
    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_note(PETER["signed_note"], [])


def test_two_verifiers_whose_name_and_key_hash_collide_are_refused() -> None:
    # Two keys found by a birthday search whose 32-bit key hashes under "Log" are both ccbf86bb.
    first, second = (
        Signer(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed).digest()))
        for seed in (b"collide-57781", b"collide-71864")
    )
    verifiers = [verifier_of("Log", first), verifier_of("Log", second)]

    with pytest.raises(VerificationError, match=r"ambiguous verifiers: .* ccbf86bb"):
        open_note(sign_note(TEXT, "Log", first), verifiers)


# Opening: malformed notes.


def test_a_note_without_a_final_newline_is_malformed() -> None:
    with pytest.raises(VerificationError, match="malformed note: does not end in a newline"):
        open_note(PETER["signed_note"].removesuffix("\n"), [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_note_with_a_carriage_return_is_malformed() -> None:
    note = PETER["signed_note"].replace("problem,\n", "problem,\r\n")

    with pytest.raises(VerificationError, match="malformed note: contains a control character"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_note_without_a_blank_line_is_malformed() -> None:
    note = PETER["signed_note"].replace("\n\n", "\n")

    with pytest.raises(VerificationError, match="no blank line"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_note_ending_in_a_blank_line_has_no_signatures() -> None:
    with pytest.raises(VerificationError, match="no signature lines"):
        open_note(TEXT + "\n", [verifier_of(*LOG)])


def test_a_signature_line_without_the_em_dash_is_malformed() -> None:
    note = PETER["signed_note"].replace("\u2014 ", "- ")

    with pytest.raises(VerificationError, match="does not start with"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_an_unknown_line_after_the_signatures_is_malformed() -> None:
    note = PETER["signed_note"] + "trailing words\n"

    with pytest.raises(VerificationError, match="does not start with"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_signature_that_is_not_base64_is_malformed() -> None:
    note = PETER["signed_note"].replace("x08go/", "x08go!")

    with pytest.raises(VerificationError, match="PeterNeumann is not base64"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_signature_in_non_canonical_base64_is_malformed() -> None:
    note = sign_note(TEXT, *LOG)
    # 68 bytes encode to 92 characters ending in one "="; the character before it carries two
    # unused low bits, zero in the canonical encoding.
    last = note[-3]
    non_canonical = note[:-3] + BASE64_ALPHABET[BASE64_ALPHABET.index(last) | 1] + "=\n"

    assert base64.b64decode(non_canonical.split(" ")[-1]) == base64.b64decode(note.split(" ")[-1])
    with pytest.raises(VerificationError, match="Log is not base64"):
        open_note(non_canonical, [verifier_of(*LOG)])


def test_a_signature_shorter_than_a_key_hash_and_one_byte_is_malformed() -> None:
    note = TEXT + "\n\u2014 Log " + base64.b64encode(b"\x22\x71\xc6\x21").decode() + "\n"

    with pytest.raises(VerificationError, match="too short"):
        open_note(note, [verifier_of(*LOG)])


def test_a_signature_key_name_with_a_plus_is_malformed() -> None:
    note = PETER["signed_note"].replace("PeterNeumann", "Peter+Neumann")

    with pytest.raises(VerificationError, match="key name contains"):
        open_note(note, [NoteVerifier.from_vkey(PETER["vkey"])])


def test_a_note_with_more_than_a_hundred_signatures_is_malformed() -> None:
    line = SignedNote.from_text(sign_note(TEXT, *UNKNOWN)).signatures[0].to_line()
    note = TEXT + "\n" + line * 101

    with pytest.raises(VerificationError, match="more than 100 signatures"):
        open_note(note, [verifier_of(*LOG)])


# Verifier keys.


@pytest.mark.parametrize(
    "vkey",
    [
        "bananas.sigstore.dev+12344556",
        "Log+2271c6+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
        "Log+0x2271c6+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
        "Log Key+2271c621+AemuH5ooBpEPcr+W8onrjA1NfuzBVHdezakU81Ekarvs",
    ],
)
def test_a_vkey_without_name_hex8_hash_and_key_is_malformed(vkey: str) -> None:
    with pytest.raises(KeyStoreError, match="expected <name>\\+<hex8>\\+<key>"):
        NoteVerifier.from_vkey(vkey)


def test_a_vkey_whose_key_is_not_base64_is_malformed() -> None:
    with pytest.raises(KeyStoreError, match="key is not base64"):
        NoteVerifier.from_vkey("rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!")


def test_a_vkey_with_the_wrong_key_hash_is_refused() -> None:
    with pytest.raises(KeyStoreError, match="wrong key hash"):
        NoteVerifier.from_vkey(PETER["vkey"].replace("c74f20a3", "c74f20a4"))


def test_a_cosignature_vkey_with_a_wrong_key_hash_is_refused_for_the_hash() -> None:
    name, _, key = TYPE_4_VKEY.split("+", 2)

    with pytest.raises(KeyStoreError, match="wrong key hash"):
        NoteVerifier.from_vkey(f"{name}+00000000+{key}")


def test_a_vkey_with_a_31_byte_ed25519_key_is_refused() -> None:
    key = b"\x01" + bytes(31)
    key_hash = hashlib.sha256(b"short\n" + key).digest()[:4].hex()

    with pytest.raises(KeyStoreError, match="not a 32-byte Ed25519 key"):
        NoteVerifier.from_vkey(f"short+{key_hash}+{base64.b64encode(key).decode()}")
