"""The bundle manifest: a DSSE-signed in-toto Statement v1 over every other file."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from ledger.encoding.canonical import canonical_json
from ledger.encoding.dsse import Envelope, sign_envelope
from ledger.errors import VerificationError
from ledger.evidence.statement import (
    IN_TOTO_PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    manifest_bytes,
    open_manifest,
)
from ledger.keys.ed25519 import Keyring, Signer

FILES = {"b/x.pem": b"key", "a.txt": b"hello\n", "events.jsonl": b""}
DIGEST = hashlib.sha256(b"hello\n").hexdigest()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture(scope="module")
def keyring(signer: Signer) -> Keyring:
    return Keyring([signer.public_key])


def signed_statement(statement: object, signer: Signer) -> bytes:
    payload = canonical_json(statement)
    return sign_envelope(payload, IN_TOTO_PAYLOAD_TYPE, signer).to_json() + b"\n"


def statement_of(subjects: list[object], **overrides: object) -> dict[str, object]:
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {},
        **overrides,
    }


def test_the_manifest_is_a_signed_in_toto_statement_of_every_file_sorted_by_name(
    signer: Signer, keyring: Keyring
) -> None:
    data = manifest_bytes(FILES, {"model": "m", "n": 1}, signer)
    envelope = Envelope.from_json(data.removesuffix(b"\n"))
    statement = json.loads(envelope.payload)

    assert data.endswith(b"}\n")
    assert envelope.to_json() + b"\n" == data
    assert envelope.payload_type == "application/vnd.in-toto+json"
    assert envelope.signatures[0].keyid == signer.keyid
    assert canonical_json(statement) == envelope.payload
    assert statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"digest": {"sha256": DIGEST}, "name": "a.txt"},
            {"digest": {"sha256": hashlib.sha256(b"key").hexdigest()}, "name": "b/x.pem"},
            {"digest": {"sha256": hashlib.sha256(b"").hexdigest()}, "name": "events.jsonl"},
        ],
        "predicateType": "https://govledger.dev/evidence-bundle/v1",
        "predicate": {"model": "m", "n": 1},
    }
    manifest = open_manifest(data, keyring)
    assert manifest.subjects == {name: hashlib.sha256(d).hexdigest() for name, d in FILES.items()}
    assert manifest.predicate == {"model": "m", "n": 1}
    assert manifest.keyid == signer.keyid


@pytest.mark.parametrize(
    "name", ["", "/abs", "a//b", "a/../b", "./a", "a\\b", "a\nb", "manifest.dsse.json"]
)
def test_a_bad_file_name_cannot_be_put_in_a_manifest(signer: Signer, name: str) -> None:
    with pytest.raises(ValueError, match="bundle file name"):
        manifest_bytes({name: b""}, {}, signer)


def test_a_manifest_by_an_unknown_key_or_with_a_bad_signature_is_refused(
    signer: Signer, keyring: Keyring
) -> None:
    stranger = Signer.generate()
    data = manifest_bytes(FILES, {}, signer)
    document = json.loads(data)
    document["signatures"][0]["sig"] = base64.b64encode(b"\x00" * 64).decode()
    forged = canonical_json(document) + b"\n"

    with pytest.raises(VerificationError, match=f"signed with unregistered key {stranger.keyid}"):
        open_manifest(manifest_bytes(FILES, {}, stranger), keyring)
    with pytest.raises(VerificationError, match=f"signature by {signer.keyid} does not verify"):
        open_manifest(forged, keyring)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"[]\n",
            "the manifest is not a DSSE envelope: malformed DSSE envelope: not a JSON object",
        ),
        (b"{}", "the manifest does not end in a newline"),
    ],
)
def test_what_is_not_an_envelope_is_refused(keyring: Keyring, data: bytes, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        open_manifest(data, keyring)


def test_an_envelope_of_another_payload_type_or_spelling_is_refused(
    signer: Signer, keyring: Keyring
) -> None:
    payload = canonical_json(statement_of([]))
    other_type = sign_envelope(payload, "application/json", signer).to_json() + b"\n"
    spaced = json.dumps(json.loads(manifest_bytes(FILES, {}, signer)), indent=1).encode() + b"\n"

    with pytest.raises(VerificationError, match="payload type is 'application/json'"):
        open_manifest(other_type, keyring)
    with pytest.raises(VerificationError, match="not the canonical JSON of its DSSE envelope"):
        open_manifest(spaced, keyring)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            statement_of([], _type="https://in-toto.io/Statement/v0.1"),
            "not an in-toto Statement v1",
        ),
        (statement_of([], predicateType="https://slsa.dev/provenance/v1"), "predicateType is"),
        (statement_of([], predicate=[]), "predicate is not a JSON object"),
        ({"_type": STATEMENT_TYPE}, r"payload members are \['_type'\], expected"),
        (statement_of({}), "subject is not a list"),
        (
            statement_of([{"name": "a.txt"}]),
            "subject 1 is not an object of exactly name and digest",
        ),
        (
            statement_of([{"digest": {"sha256": DIGEST}, "name": "../a.txt"}]),
            "subject 1: name '../a.txt' is not a relative path",
        ),
        (
            statement_of([{"digest": {"sha1": DIGEST[:40]}, "name": "a.txt"}]),
            r"subject 1 \(a.txt\): digest is not one sha256",
        ),
        (
            statement_of([{"digest": {"sha256": DIGEST.upper()}, "name": "a.txt"}]),
            r"subject 1 \(a.txt\): digest is not one sha256",
        ),
        (
            statement_of(
                [
                    {"digest": {"sha256": DIGEST}, "name": "b.txt"},
                    {"digest": {"sha256": DIGEST}, "name": "a.txt"},
                ]
            ),
            r"subject 2 \(a.txt\): subjects are not sorted by name, once each",
        ),
        (
            statement_of(
                [
                    {"digest": {"sha256": DIGEST}, "name": "a.txt"},
                    {"digest": {"sha256": DIGEST}, "name": "a.txt"},
                ]
            ),
            r"subject 2 \(a.txt\): subjects are not sorted by name, once each",
        ),
    ],
)
def test_a_signed_payload_that_is_not_this_bundles_statement_is_refused(
    signer: Signer, keyring: Keyring, statement: object, message: str
) -> None:
    with pytest.raises(VerificationError, match=message):
        open_manifest(signed_statement(statement, signer), keyring)


def test_a_non_canonical_payload_is_refused(signer: Signer, keyring: Keyring) -> None:
    payload = json.dumps(statement_of([]), indent=1).encode()
    data = sign_envelope(payload, IN_TOTO_PAYLOAD_TYPE, signer).to_json() + b"\n"

    with pytest.raises(VerificationError, match="payload is not canonical JSON"):
        open_manifest(data, keyring)
