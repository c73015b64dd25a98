"""Checkpoints (c2sp.org/tlog-checkpoint): body format, signing, opening with a pinned origin."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import VerificationError
from ledger.tlog.checkpoint import Checkpoint, checkpoint_time, open_checkpoint, sign_checkpoint
from ledger.tlog.note import NoteSignature, NoteVerifier, SignedNote, sign_note
from tests.unit.test_note import signer_from_skey

VECTORS_FILE = Path(__file__).parent.parent / "data" / "signed_note_vectors.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
SETS: dict[str, dict[str, Any]] = {entry["name"]: entry for entry in DOCUMENT["sets"]}
LOG_SKEY, LOG_VKEY = SETS["formats_test_keypairs_keyid"]["pairs"][0]
UNKNOWN_SKEY = SETS["formats_test_keypairs_keyid"]["pairs"][3][0]
MARSHAL_VECTORS: list[dict[str, Any]] = SETS["checkpoint_body_marshal"]["vectors"]
DEMO_NOTE: str = DOCUMENT["demo_checkpoint_rfc6962_root8_signed_with_public_test_key_Log"]

ORIGIN = "example.com/ledger-test"
# RFC 6962 root of the 8-leaf reference tree (CT C++ reference, Trillian, transparency-dev/merkle).
ROOT_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
DEMO = Checkpoint(ORIGIN, 8, ROOT_8)
BODY = f"{ORIGIN}\n8\n{base64.b64encode(ROOT_8).decode()}\n"

lines = st.text(st.characters(min_codepoint=0x20, codec="utf-8"), min_size=1)
checkpoints = st.builds(
    Checkpoint,
    origin=lines,
    size=st.integers(min_value=0, max_value=2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(lines, max_size=3).map(tuple),
)


def log_verifier() -> NoteVerifier:
    return NoteVerifier.from_vkey(LOG_VKEY)


# Vectors.


def test_signing_the_demo_checkpoint_with_the_public_test_key_reproduces_it_byte_for_byte() -> None:
    name, signer = signer_from_skey(LOG_SKEY)

    assert sign_checkpoint(DEMO, name, signer) == DEMO_NOTE


def test_the_demo_checkpoint_opens_with_the_test_key_and_its_origin() -> None:
    assert open_checkpoint(DEMO_NOTE, [log_verifier()], ORIGIN) == DEMO


@pytest.mark.parametrize("vector", MARSHAL_VECTORS, ids=[v["origin"] for v in MARSHAL_VECTORS])
def test_a_formats_marshal_vector_is_refused_because_its_hash_is_not_32_bytes(
    vector: dict[str, Any],
) -> None:
    with pytest.raises(VerificationError, match=r"root hash is \d+ bytes, expected 32"):
        Checkpoint.from_text(vector["want"])


# Format and round trips.


def test_a_checkpoint_body_is_origin_size_and_base64_root_on_three_lines() -> None:
    assert DEMO.to_text() == BODY


def test_extension_lines_follow_the_root_hash_verbatim() -> None:
    checkpoint = Checkpoint(ORIGIN, 8, ROOT_8, ("ext one", "ext two"))

    assert checkpoint.to_text() == BODY + "ext one\next two\n"


def test_the_empty_tree_has_size_zero() -> None:
    assert Checkpoint.from_text(f"{ORIGIN}\n0\n{base64.b64encode(bytes(32)).decode()}\n").size == 0


@given(checkpoints)
def test_a_checkpoint_reads_back_from_its_text(checkpoint: Checkpoint) -> None:
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


@given(checkpoints)
def test_a_signed_checkpoint_opens_to_itself(checkpoint: Checkpoint) -> None:
    name, signer = signer_from_skey(LOG_SKEY)
    note = sign_checkpoint(checkpoint, name, signer)

    assert open_checkpoint(note, [log_verifier()], checkpoint.origin) == checkpoint


# Opening.


def test_a_checkpoint_of_another_origin_is_rejected() -> None:
    with pytest.raises(VerificationError, match=r"origin is 'example\.com/ledger-test', expected"):
        open_checkpoint(DEMO_NOTE, [log_verifier()], "example.com/other-log")


def test_a_checkpoint_signed_by_an_unknown_key_is_rejected() -> None:
    note = sign_checkpoint(DEMO, *signer_from_skey(UNKNOWN_SKEY))

    with pytest.raises(VerificationError, match="no signature by a known key"):
        open_checkpoint(note, [log_verifier()], ORIGIN)


def test_a_checkpoint_with_a_tampered_size_is_rejected() -> None:
    note = DEMO_NOTE.replace("\n8\n", "\n9\n")

    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(note, [log_verifier()], ORIGIN)


def test_a_validly_signed_note_that_is_not_a_checkpoint_is_rejected() -> None:
    note = sign_note(
        "if this is a valid checkpoint then I'll eat my hat\n", *signer_from_skey(LOG_SKEY)
    )

    with pytest.raises(VerificationError, match="malformed checkpoint: fewer than three lines"):
        open_checkpoint(note, [log_verifier()], ORIGIN)


# Malformed bodies.


def test_a_body_with_two_lines_is_malformed() -> None:
    with pytest.raises(VerificationError, match="fewer than three lines"):
        Checkpoint.from_text(f"{ORIGIN}\n8\n")


def test_a_body_without_a_final_newline_is_malformed() -> None:
    with pytest.raises(VerificationError, match="does not end in a newline"):
        Checkpoint.from_text(BODY.removesuffix("\n"))


def test_a_body_with_an_empty_origin_is_malformed() -> None:
    with pytest.raises(VerificationError, match="origin is empty"):
        Checkpoint.from_text(BODY.removeprefix(ORIGIN))


@pytest.mark.parametrize("size", ["01", "00", "-1", "+8", " 8", "8 ", "0x8", "8_0", "\u0668", ""])
def test_a_size_that_is_not_canonical_ascii_decimal_is_malformed(size: str) -> None:
    with pytest.raises(VerificationError, match=r"tree size .* is not canonical"):
        Checkpoint.from_text(BODY.replace("\n8\n", f"\n{size}\n"))


def test_a_size_beyond_64_bits_is_malformed() -> None:
    with pytest.raises(VerificationError, match="not an unsigned 64-bit integer"):
        Checkpoint.from_text(BODY.replace("\n8\n", f"\n{2**64}\n"))


def test_a_root_of_31_bytes_is_malformed() -> None:
    short_root = base64.b64encode(ROOT_8[:31]).decode()

    with pytest.raises(VerificationError, match="root hash is 31 bytes, expected 32"):
        Checkpoint.from_text(f"{ORIGIN}\n8\n{short_root}\n")


def test_a_root_that_is_not_base64_is_malformed() -> None:
    with pytest.raises(VerificationError, match="root hash is not canonical base64"):
        Checkpoint.from_text(f"{ORIGIN}\n8\nThisIsn'tBase64\n")


def test_a_root_in_non_canonical_base64_is_malformed() -> None:
    # The canonical encoding ends "Qyg="; "Qyh=" decodes to the same 32 bytes.
    body = BODY.replace("Qyg=", "Qyh=")

    assert base64.b64decode(body.split("\n")[2]) == ROOT_8
    with pytest.raises(VerificationError, match="root hash is not canonical base64"):
        Checkpoint.from_text(body)


def test_an_empty_extension_line_is_malformed() -> None:
    with pytest.raises(VerificationError, match="extension lines must not be empty"):
        Checkpoint.from_text(BODY + "\n")


def test_a_body_with_a_carriage_return_is_malformed() -> None:
    with pytest.raises(VerificationError, match="control character"):
        Checkpoint.from_text(BODY.replace(ORIGIN, ORIGIN + "\r"))


def test_a_checkpoint_origin_with_a_newline_cannot_be_built() -> None:
    with pytest.raises(ValueError, match=r"origin .* contains a newline"):
        Checkpoint("two\nlines", 8, ROOT_8)


# The signed time (finding 3): a tlog-cosignature/v1 line by the log key itself.


def test_finding_3_a_timestamped_checkpoint_carries_a_tlog_cosignature_by_the_same_key() -> None:
    """Finding 3: signed_at was an unsigned time; now the time is in a c2sp cosignature line."""
    name, signer = signer_from_skey(LOG_SKEY)

    note = sign_checkpoint(DEMO, name, signer, timestamp=1679315147)

    first, second = SignedNote.from_text(note).signatures
    assert first == SignedNote.from_text(DEMO_NOTE).signatures[0]
    key = signer.public_key.public_bytes_raw()
    cosigner_id = hashlib.sha256(name.encode() + b"\n\x04" + key).digest()[:4]
    assert (second.name, second.key_hash) == (name, int.from_bytes(cosigner_id, "big"))
    assert second.signature[:8] == (1679315147).to_bytes(8, "big")
    message = b"cosignature/v1\ntime 1679315147\n" + BODY.encode()
    signer.public_key.verify(second.signature[8:], message)
    assert checkpoint_time(note, [log_verifier()]) == 1679315147
    assert open_checkpoint(note, [log_verifier()], ORIGIN) == DEMO


def test_finding_3_a_changed_time_in_the_cosignature_is_refused() -> None:
    """Finding 3: the timestamp is covered by the signature."""
    name, signer = signer_from_skey(LOG_SKEY)
    signed = SignedNote.from_text(sign_checkpoint(DEMO, name, signer, timestamp=1679315147))
    first, second = signed.signatures
    later = NoteSignature(
        second.name, second.key_hash, (1679315148).to_bytes(8, "big") + second.signature[8:]
    )
    forged = SignedNote(signed.text, (first, later)).to_text()

    with pytest.raises(VerificationError, match=r"cosignature by .* does not verify"):
        checkpoint_time(forged, [log_verifier()])


def test_a_checkpoint_without_a_cosignature_has_no_signed_time() -> None:
    assert checkpoint_time(DEMO_NOTE, [log_verifier()]) is None
