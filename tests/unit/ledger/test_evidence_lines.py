"""The bundle's events.jsonl and proofs.jsonl lines: canonical JSON, read back strictly."""

from __future__ import annotations

import json
import re

import pytest

from ledger.encoding.canonical import canonical_json
from ledger.errors import VerificationError
from ledger.evidence.lines import (
    ProofLine,
    event_line,
    parse_event_line,
    parse_event_lines,
    parse_proof_line,
    parse_proof_lines,
    proof_line,
    split_lines,
)

ENVELOPE = b'{"payload":"e30=","payloadType":"t","signatures":[{"keyid":"k","sig":"AA=="}]}'
HASHES = (bytes(range(32)), b"\xff" * 32)


def test_an_event_line_is_the_canonical_json_of_its_envelope_and_leaf() -> None:
    line = event_line(7, ENVELOPE)

    assert line == canonical_json({"envelope": json.loads(ENVELOPE), "leaf_index": 7}) + b"\n"
    assert parse_event_line(line) == (7, ENVELOPE)


def test_a_proof_line_is_canonical_json_with_base64_hashes() -> None:
    line = proof_line(3, 12, HASHES)

    assert json.loads(line) == {
        "hashes": ["AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "/" * 42 + "8="],
        "leaf_index": 3,
        "tree_size": 12,
    }
    assert canonical_json(json.loads(line)) + b"\n" == line
    assert parse_proof_line(line) == ProofLine(3, 12, HASHES)


def test_files_of_lines_parse_in_order() -> None:
    events = event_line(0, ENVELOPE) + event_line(4, ENVELOPE)
    proofs = proof_line(0, 5, HASHES) + proof_line(4, 5, ())

    assert parse_event_lines(events) == [(0, ENVELOPE), (4, ENVELOPE)]
    assert parse_proof_lines(proofs) == [ProofLine(0, 5, HASHES), ProofLine(4, 5, ())]
    assert parse_event_lines(b"") == []


def test_split_lines_splits_on_newlines_only() -> None:
    assert split_lines(b'{"a":"\r"}\n\nlast') == [b'{"a":"\r"}\n', b"\n", b"last"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json\n", "the line is not JSON"),
        (b'{"envelope": {}, "leaf_index": 1}\n', "the line is not canonical JSON (RFC 8785)"),
        (b'{"leaf_index":1}\n', "the line's members are ['leaf_index'], expected"),
        (b'{"envelope":{},"extra":1,"leaf_index":1}\n', "the line's members are ['envelope', 'ext"),
        (b"[1]\n", "the line's members are list"),
        (b'{"envelope":"text","leaf_index":1}\n', "envelope is not a JSON object"),
        (b'{"envelope":{},"leaf_index":-1}\n', "leaf_index is not a non-negative integer: -1"),
        (b'{"envelope":{},"leaf_index":true}\n', "leaf_index is not a non-negative integer: True"),
        (b'{"envelope":{},"leaf_index":1}', "the line does not end in a newline"),
        (b"\n", "the line is empty"),
        (b"[" * 100_000 + b"\n", "the line is not JSON"),
    ],
)
def test_a_bad_event_line_is_refused_with_what_is_wrong(line: bytes, message: str) -> None:
    with pytest.raises(VerificationError, match="line 2: " + re.escape(message)):
        parse_event_lines(event_line(0, ENVELOPE) + line)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"hashes":"x","leaf_index":1,"tree_size":2}\n', "hashes is not a list"),
        (b'{"hashes":["AAAA"],"leaf_index":1,"tree_size":2}\n', "hash 0 is not the canonical"),
        (b'{"hashes":[1],"leaf_index":1,"tree_size":2}\n', "hash 0 is not the canonical"),
        (b'{"hashes":[],"leaf_index":1,"tree_size":"2"}\n', "tree_size is not a non-negative"),
        (
            b'{"hashes":[],"leaf_index":1}\n',
            "the line's members are ['hashes', 'leaf_index'], expected",
        ),
    ],
)
def test_a_bad_proof_line_is_refused_with_what_is_wrong(line: bytes, message: str) -> None:
    with pytest.raises(VerificationError, match="line 1: " + re.escape(message)):
        parse_proof_lines(line)


def test_a_non_canonical_base64_hash_is_refused() -> None:
    canonical = proof_line(0, 1, (HASHES[1],))
    sloppy = canonical.replace(b"/8=", b"/9=")  # same bytes, non-zero padding bits

    with pytest.raises(VerificationError, match="hash 0 is not the canonical base64"):
        parse_proof_line(sloppy)
