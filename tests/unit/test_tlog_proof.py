"""Transparency log proofs (c2sp.org/tlog-proof): the text format, strictly parsed."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import VerificationError
from ledger.tlog.checkpoint import Checkpoint, open_checkpoint
from ledger.tlog.note import NoteVerifier
from ledger.tlog.proof_format import HEADER, TlogProof

VECTORS_FILE = Path(__file__).parent.parent / "data" / "signed_note_vectors.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
DEMO_NOTE: str = DOCUMENT["demo_checkpoint_rfc6962_root8_signed_with_public_test_key_Log"]
LOG_VKEY = next(
    entry["pairs"][0][1]
    for entry in DOCUMENT["sets"]
    if entry["name"] == "formats_test_keypairs_keyid"
)

# The example of C2SP/C2SP tlog-proof.md (commit 0065ea5b716154a2dd48508e3f905012a16ce5e9),
# verbatim: its checkpoint signatures are elided with "[...]" in the spec.
SPEC_PROOF_LINES = (
    "c2sp.org/tlog-proof@v1\n"
    "extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
    "index 73894\n"
    "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
    "B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
    "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
    "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
    "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
)
SPEC_EXAMPLE = (
    SPEC_PROOF_LINES + "\n"
    "example.com/fancylog\n"
    "109482\n"
    "sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
    "\n"
    "\u2014 example.com/fancylog hI2DJw[...]1roloI=\n"
    "\u2014 witness1.example mJirIklj[...]qY9v2B/5bg==\n"
    "\u2014 witness2.example TnKKVHLX[...]xwYwrSjgow==\n"
    "\u2014 witness3.example S4X82uH5[...]3oEcROGLFQ==\n"
)
# The spec example's proof lines in front of a checkpoint note with real signatures.
SPEC_WITH_DEMO_CHECKPOINT = SPEC_PROOF_LINES + "\n" + DEMO_NOTE
HASH = base64.b64encode(bytes(range(32))).decode()

proofs = st.builds(
    TlogProof,
    index=st.integers(min_value=0, max_value=2**64 - 1),
    hashes=st.lists(st.binary(min_size=32, max_size=32), max_size=64).map(tuple),
    checkpoint_note=st.just(DEMO_NOTE),
    extra=st.none() | st.binary(),
)


def proof_text(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines) + "\n" + DEMO_NOTE


# The spec example.


def test_the_spec_example_proof_lines_parse() -> None:
    proof = TlogProof.from_text(SPEC_WITH_DEMO_CHECKPOINT)

    assert proof.extra == b"age-v1.2.1-darwin-arm64.tar.gz\x91\x85\xc9\xdd\xa5\xb8\xb5\x85\xc9"
    assert proof.index == 73894
    assert len(proof.hashes) == 5
    assert proof.hashes[0] == base64.b64decode("gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=")
    assert proof.checkpoint_note == DEMO_NOTE


def test_the_spec_example_proof_writes_back_byte_for_byte() -> None:
    assert TlogProof.from_text(SPEC_WITH_DEMO_CHECKPOINT).to_text() == SPEC_WITH_DEMO_CHECKPOINT


def test_the_spec_example_verbatim_is_refused_for_its_elided_signatures() -> None:
    with pytest.raises(VerificationError, match=r"example\.com/fancylog is not base64"):
        TlogProof.from_text(SPEC_EXAMPLE)


def test_a_proofs_checkpoint_opens_with_the_logs_key_and_origin() -> None:
    proof = TlogProof.from_text(SPEC_WITH_DEMO_CHECKPOINT)
    verifier = NoteVerifier.from_vkey(LOG_VKEY)

    checkpoint = open_checkpoint(proof.checkpoint_note, [verifier], "example.com/ledger-test")

    assert checkpoint == Checkpoint.from_text(DEMO_NOTE.partition("\n\n")[0] + "\n")


# Format and round trips.


def test_a_proof_without_extra_data_starts_with_the_header_and_the_index() -> None:
    proof = TlogProof(index=0, hashes=(), checkpoint_note=DEMO_NOTE)

    assert proof.to_text() == f"{HEADER}\nindex 0\n\n{DEMO_NOTE}"


def test_a_proof_with_no_hashes_reads_back() -> None:
    assert TlogProof.from_text(proof_text(HEADER, "index 0")).hashes == ()


@given(proofs)
def test_a_proof_reads_back_from_its_text(proof: TlogProof) -> None:
    assert TlogProof.from_text(proof.to_text()) == proof


# Malformed proofs.


@pytest.mark.parametrize("header", ["c2sp.org/tlog-proof@v2", "c2sp.org/tlog-proof", ""])
def test_a_proof_with_another_header_is_malformed(header: str) -> None:
    with pytest.raises(VerificationError, match="first line is not"):
        TlogProof.from_text(proof_text(header, "index 0"))


@pytest.mark.parametrize("index", ["x", "01", "-1", "+1", " 1", "1 ", "0x1", "\u0661", ""])
def test_an_index_that_is_not_canonical_ascii_decimal_is_malformed(index: str) -> None:
    with pytest.raises(VerificationError, match=r"index .* is not canonical"):
        TlogProof.from_text(proof_text(HEADER, f"index {index}", HASH))


def test_an_index_beyond_64_bits_is_malformed() -> None:
    with pytest.raises(VerificationError, match="not an unsigned 64-bit integer"):
        TlogProof.from_text(proof_text(HEADER, f"index {2**64}"))


def test_a_proof_without_an_index_line_is_malformed() -> None:
    with pytest.raises(VerificationError, match="no 'index <N>' line"):
        TlogProof.from_text(proof_text(HEADER, HASH))


def test_an_extra_line_after_the_index_is_malformed() -> None:
    with pytest.raises(VerificationError, match="proof hash is not canonical base64"):
        TlogProof.from_text(proof_text(HEADER, "index 0", "extra AAAA"))


def test_extra_data_that_is_not_base64_is_malformed() -> None:
    with pytest.raises(VerificationError, match="extra data is not canonical base64"):
        TlogProof.from_text(proof_text(HEADER, "extra not base64!", "index 0"))


def test_a_proof_hash_that_is_not_base64_is_malformed() -> None:
    with pytest.raises(VerificationError, match="proof hash is not canonical base64"):
        TlogProof.from_text(proof_text(HEADER, "index 0", HASH.replace("A", "!")))


def test_a_proof_hash_of_31_bytes_is_malformed() -> None:
    short = base64.b64encode(bytes(31)).decode()

    with pytest.raises(VerificationError, match="hash is 31 bytes, expected 32"):
        TlogProof.from_text(proof_text(HEADER, "index 0", short))


def test_a_proof_without_a_blank_line_and_checkpoint_is_malformed() -> None:
    with pytest.raises(VerificationError, match="no blank line before the checkpoint"):
        TlogProof.from_text(f"{HEADER}\nindex 0\n{HASH}\n")


def test_a_proof_with_an_empty_checkpoint_is_malformed() -> None:
    with pytest.raises(VerificationError, match="checkpoint is not a signed checkpoint note"):
        TlogProof.from_text(f"{HEADER}\nindex 0\n\n")


def test_a_proof_whose_checkpoint_has_no_signature_is_malformed() -> None:
    with pytest.raises(VerificationError, match="checkpoint is not a signed checkpoint note"):
        TlogProof.from_text(proof_text(HEADER, "index 0").split("\n\n\u2014")[0] + "\n")


def test_a_proof_whose_signed_note_is_not_a_checkpoint_is_malformed() -> None:
    note = DEMO_NOTE.replace("\n8\n", "\n08\n")

    with pytest.raises(VerificationError, match="tree size '08' is not canonical"):
        TlogProof.from_text(f"{HEADER}\nindex 0\n\n{note}")
