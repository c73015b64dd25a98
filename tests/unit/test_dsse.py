"""DSSE v1: the PAE and envelope verification against the DSSE test vectors, and our envelopes.

The vectors name their keys "A" and "B" (RFC 8032 section 7.1 TEST 1 and 2); our Keyring finds keys
by our own key id, so the adapter below rewrites each signature's keyid to ours before parsing.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.encoding.dsse import Envelope, EnvelopeSigner, Signature, pae, sign_envelope
from ledger.errors import VerificationError
from ledger.keys.ed25519 import Keyring, Signer, keyid_of

VECTORS_FILE = Path(__file__).parent.parent / "data" / "dsse_testvectors.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
KEYS = {
    name: Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed"]))
    for name, key in DOCUMENT["keys"].items()
}
VECTORS = {vector["id"]: vector for vector in DOCUMENT["vectors"]}
OUR_KEYID = {name: keyid_of(key.public_key()) for name, key in KEYS.items()}

PAYLOAD_TYPE = "application/vnd.govledger.test+json"


def vector_id(vector: dict[str, Any]) -> str:
    return str(vector["id"])


def b64decode_either_alphabet(text: str) -> bytes:
    """Decode standard or URL-safe base64, as the DSSE envelope spec allows."""
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))


def one_signature_envelopes(vector: dict[str, Any]) -> list[bytes]:
    """The vector's envelope split per signature, keyids rewritten to ours.

    DSSE treats a multi-signature envelope as separate one-signature envelopes. A signature
    without a keyid may be by any trusted key, so it is tried as each of them.
    """
    envelope = vector["envelope"]
    split = []
    for signature in envelope["signatures"]:
        names = [signature["keyid"]] if "keyid" in signature else vector["trustedKeys"]
        for name in names:
            rewritten = {
                **envelope,
                "signatures": [{"keyid": OUR_KEYID[name], "sig": signature["sig"]}],
            }
            split.append(json.dumps(rewritten).encode("utf-8"))
    return split


def ledger_accepts(vector: dict[str, Any]) -> bool:
    """Verify the vector with ledger.encoding.dsse: enough distinct trusted keys, a known type."""
    keyring = Keyring(KEYS[name].public_key() for name in vector["trustedKeys"])
    verified_by = set()
    for document in one_signature_envelopes(vector):
        envelope = Envelope.from_json(document)
        for payload_type in vector["supportedPayloadTypes"]:
            try:
                verified_by.add(envelope.verify(keyring, payload_type=payload_type))
            except VerificationError:
                continue
    return len(verified_by) >= int(vector["threshold"])


def test_the_vector_file_holds_the_nine_upstream_dsse_vectors() -> None:
    assert DOCUMENT["_source"]["repo"] == "secure-systems-lab/dsse"
    assert len(VECTORS) == 9


# Pre-authentication encoding


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS.values() if v["id"] != "payload-type-swapped"], ids=vector_id
)
def test_pae_of_each_vector_envelope_is_the_vector_pae(vector: dict[str, Any]) -> None:
    envelope = vector["envelope"]
    payload = b64decode_either_alphabet(envelope["payload"])

    assert pae(envelope["payloadType"], payload) == bytes.fromhex(vector["pae"])


def test_pae_of_a_swapped_payload_type_is_not_what_was_signed() -> None:
    vector = VECTORS["payload-type-swapped"]
    payload = b64decode_either_alphabet(vector["envelope"]["payload"])

    assert pae(vector["envelope"]["payloadType"], payload) != bytes.fromhex(vector["pae"])
    assert pae("application/vnd.in-toto+json", payload) == bytes.fromhex(vector["pae"])


def test_pae_counts_the_utf8_bytes_of_the_type_not_its_characters() -> None:
    assert pae("\u00e4", b"x") == b"DSSEv1 2 \xc3\xa4 1 x"


def test_pae_of_an_empty_body_ends_with_a_space() -> None:
    assert pae("t", b"") == b"DSSEv1 1 t 0 "


@pytest.mark.parametrize("vector", VECTORS.values(), ids=vector_id)
def test_every_vector_signature_is_by_a_vector_key_over_the_vector_pae(
    vector: dict[str, Any],
) -> None:
    message = bytes.fromhex(vector["pae"])
    for signature in vector["envelope"]["signatures"]:
        sig = b64decode_either_alphabet(signature["sig"])
        assert any(_signs(key, sig, message) for key in KEYS.values())


def _signs(key: Ed25519PrivateKey, sig: bytes, message: bytes) -> bool:
    return key.sign(message) == sig  # Ed25519 signatures are deterministic


# Envelope verification against the vectors


@pytest.mark.parametrize(
    "vector",
    # url-safe-base64 has its own test below.
    [v for v in VECTORS.values() if v["id"] != "url-safe-base64"],
    ids=vector_id,
)
def test_verifies_each_vector_as_the_vector_expects(vector: dict[str, Any]) -> None:
    assert ledger_accepts(vector) == (vector["expect"] == "accept")


def test_accepts_url_safe_base64_which_the_dsse_envelope_spec_allows() -> None:
    # envelope.md: "Either standard or URL-safe encoding is allowed."
    vector = VECTORS["url-safe-base64"]

    assert ledger_accepts(vector)


def test_rejects_the_empty_payload_type_only_because_it_is_unsupported() -> None:
    vector = VECTORS["empty-payload-type"]
    (document,) = one_signature_envelopes(vector)
    envelope = Envelope.from_json(document)
    keyring = Keyring([KEYS["A"].public_key()])

    assert envelope.verify(keyring, payload_type="") == OUR_KEYID["A"]
    with pytest.raises(VerificationError, match="payload type is '', expected"):
        envelope.verify(keyring, payload_type="application/vnd.in-toto+json")


def test_rejects_a_swapped_payload_type_because_the_signature_does_not_cover_it() -> None:
    vector = VECTORS["payload-type-swapped"]
    (document,) = one_signature_envelopes(vector)
    envelope = Envelope.from_json(document)
    keyring = Keyring([KEYS["A"].public_key()])

    with pytest.raises(VerificationError, match="does not verify"):
        envelope.verify(keyring, payload_type=vector["envelope"]["payloadType"])


def test_one_key_signing_twice_counts_once_towards_a_threshold() -> None:
    vector = VECTORS["threshold-two-one-key-twice"]
    keyring = Keyring(KEYS[name].public_key() for name in vector["trustedKeys"])

    verified_by = [
        Envelope.from_json(document).verify(keyring, payload_type="application/vnd.in-toto+json")
        for document in one_signature_envelopes(vector)
    ]

    assert verified_by == [OUR_KEYID["A"], OUR_KEYID["A"]]


def test_a_multi_signature_envelope_verifies_when_any_signature_does() -> None:
    vector = VECTORS["threshold-two-distinct-keys"]
    document = {
        **vector["envelope"],
        "signatures": [
            {"keyid": OUR_KEYID["A"], "sig": base64.b64encode(b"\x00" * 64).decode()},
            {"keyid": OUR_KEYID["B"], "sig": vector["envelope"]["signatures"][1]["sig"]},
        ],
    }
    envelope = Envelope.from_json(json.dumps(document).encode())
    keyring = Keyring([KEYS["A"].public_key(), KEYS["B"].public_key()])

    assert envelope.verify(keyring, payload_type="application/vnd.in-toto+json") == OUR_KEYID["B"]


def test_reports_every_signature_when_none_verifies() -> None:
    vector = VECTORS["threshold-two-distinct-keys"]
    document = {
        **vector["envelope"],
        "signatures": [
            {"keyid": OUR_KEYID["A"], "sig": vector["envelope"]["signatures"][1]["sig"]},
            {"keyid": "sha256:unknown", "sig": vector["envelope"]["signatures"][0]["sig"]},
        ],
    }
    envelope = Envelope.from_json(json.dumps(document).encode())
    keyring = Keyring([KEYS["A"].public_key()])

    with pytest.raises(
        VerificationError, match="does not verify; signed with unregistered key sha256:unknown"
    ):
        envelope.verify(keyring, payload_type="application/vnd.in-toto+json")


# Our own envelopes


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def keyring(signer: Signer) -> Keyring:
    return Keyring([signer.public_key])


def test_a_signed_envelope_survives_a_round_trip_through_json(
    signer: Signer, keyring: Keyring
) -> None:
    envelope = sign_envelope(b'{"a":1}', PAYLOAD_TYPE, signer)

    parsed = Envelope.from_json(envelope.to_json())

    assert parsed == envelope
    assert parsed.signatures[0].keyid == signer.keyid
    assert parsed.verify(keyring, payload_type=PAYLOAD_TYPE) == signer.keyid


def test_signs_the_pae_not_the_bare_payload(signer: Signer) -> None:
    envelope = sign_envelope(b"body", PAYLOAD_TYPE, signer)

    signer.public_key.verify(envelope.signatures[0].sig, pae(PAYLOAD_TYPE, b"body"))


def test_serialises_as_canonical_json(signer: Signer) -> None:
    envelope = sign_envelope(b"\xff\x00body", PAYLOAD_TYPE, signer)
    sig = base64.b64encode(envelope.signatures[0].sig).decode()

    expected = (
        '{"payload":"/wBib2R5","payloadType":"application/vnd.govledger.test+json",'
        f'"signatures":[{{"keyid":"{signer.keyid}","sig":"{sig}"}}]}}'
    )
    assert envelope.to_json() == expected.encode("ascii")


@pytest.mark.parametrize(
    ("payload", "payload_type"),
    [
        (b'{"a":1}', PAYLOAD_TYPE),
        (b"", PAYLOAD_TYPE),
        (b"\xff\x00body", 'application/x-\u00e9"quoted"'),
        (bytes(range(256)) * 4, "t"),
    ],
    ids=["json", "empty", "binary-and-escaped-type", "long"],
)
def test_the_envelope_signer_writes_exactly_the_envelopes_canonical_json(
    signer: Signer, keyring: Keyring, payload: bytes, payload_type: str
) -> None:
    written = EnvelopeSigner(signer, payload_type).sign(payload)

    assert written == sign_envelope(payload, payload_type, signer).to_json()
    assert Envelope.from_json(written).verify(keyring, payload_type=payload_type) == signer.keyid


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"not json", "malformed DSSE envelope: not JSON"),
        (b"[]", "malformed DSSE envelope: not a JSON object"),
        (b'{"payloadType":"t","signatures":[{"keyid":"k","sig":""}]}', "payload is not a string"),
        (b'{"payload":"","signatures":[{"keyid":"k","sig":""}]}', "payloadType is not a string"),
        (b'{"payload":"","payloadType":"t"}', "signatures is not a list"),
        (b'{"payload":"","payloadType":"t","signatures":[{"sig":""}]}', "signature has no keyid"),
        (b'{"payload":"","payloadType":"t","signatures":[{"keyid":"k"}]}', "sig is not a string"),
        (b'{"payload":"!!!!","payloadType":"t","signatures":[{"keyid":"k","sig":""}]}', "base64"),
        (b'{"payload":"","payloadType":"t","signatures":[{"keyid":"k","sig":"QQ"}]}', "base64"),
        (b'{"payload":1,"payloadType":"t","signatures":[{"keyid":"k","sig":""}]}', "not a string"),
        (b'{"payload":"","payloadType":"t","signatures":7}', "signatures is not a list"),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "no-payload",
        "no-payload-type",
        "no-signatures-field",
        "signature-without-keyid",
        "signature-without-sig",
        "payload-not-base64",
        "sig-badly-padded",
        "payload-not-a-string",
        "signatures-not-a-list",
    ],
)
def test_refuses_a_malformed_envelope(document: bytes, reason: str) -> None:
    with pytest.raises(VerificationError, match=reason):
        Envelope.from_json(document)


def test_refuses_an_envelope_without_signatures() -> None:
    with pytest.raises(VerificationError, match="carries no signature"):
        Envelope.from_json(b'{"payload":"","payloadType":"t","signatures":[]}')


def test_refuses_an_envelope_of_another_payload_type(signer: Signer, keyring: Keyring) -> None:
    envelope = sign_envelope(b"{}", "application/other", signer)

    with pytest.raises(VerificationError, match="payload type is 'application/other'"):
        envelope.verify(keyring, payload_type=PAYLOAD_TYPE)


def test_refuses_an_envelope_whose_payload_has_one_byte_flipped(
    signer: Signer, keyring: Keyring
) -> None:
    envelope = sign_envelope(b'{"a":1}', PAYLOAD_TYPE, signer)
    flipped = bytearray(envelope.payload)
    flipped[5] ^= 0x01
    tampered = Envelope(
        payload_type=envelope.payload_type, payload=bytes(flipped), signatures=envelope.signatures
    )

    with pytest.raises(VerificationError, match=f"signature by {signer.keyid} does not verify"):
        tampered.verify(keyring, payload_type=PAYLOAD_TYPE)


def test_refuses_an_envelope_signed_by_an_unregistered_key(keyring: Keyring) -> None:
    stranger = Signer.generate()
    envelope = sign_envelope(b"{}", PAYLOAD_TYPE, stranger)

    with pytest.raises(VerificationError, match=f"unregistered key {stranger.keyid}"):
        envelope.verify(keyring, payload_type=PAYLOAD_TYPE)


def test_refuses_a_signature_claiming_a_registered_keyid_it_was_not_made_with(
    signer: Signer, keyring: Keyring
) -> None:
    forged = sign_envelope(b"{}", PAYLOAD_TYPE, Signer.generate())
    relabelled = Envelope(
        payload_type=forged.payload_type,
        payload=forged.payload,
        signatures=(Signature(keyid=signer.keyid, sig=forged.signatures[0].sig),),
    )

    with pytest.raises(VerificationError, match="does not verify"):
        relabelled.verify(keyring, payload_type=PAYLOAD_TYPE)


def test_refuses_a_keyid_with_control_characters_which_would_rewrite_report_lines() -> None:
    """Finding 6: a hostile keyid is refused before any message shows it."""
    document = b'{"payload":"","payloadType":"t","signatures":[{"keyid":"k\\u001b[2K","sig":""}]}'

    with pytest.raises(VerificationError, match=r"keyid 'k\\x1b\[2K' is not printable"):
        Envelope.from_json(document)
