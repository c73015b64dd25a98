"""Signed stored events, and sealing batches of them into chained, numbered log leaves."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.encoding.canonical import canonical_json
from ledger.encoding.dsse import Envelope, EnvelopeSigner, Signature
from ledger.errors import StoreError, VerificationError
from ledger.keys.ed25519 import Keyring, Signer
from ledger.merkle import leaf_hash
from ledger.store.sealing import Sealer
from ledger.store.signed_event import (
    PAYLOAD_TYPE,
    envelope_digest,
    event_payload,
    open_event,
    sign_event,
)

TOPIC = "domain.aggregates.model:Model.Registered"


def stored(originator_id: UUID, version: int, state: bytes = b'{"a":1}') -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id, originator_version=version, topic=TOPIC, state=state
    )


def payload_of(event: StoredEvent) -> dict[str, object]:
    document: dict[str, object] = json.loads(Envelope.from_json(event.state).payload)
    return document


def no_stored_events(originator_id: UUID | str, version: int) -> str | None:
    return None


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def keyring(signer: Signer) -> Keyring:
    return Keyring([signer.public_key])


# Signing and opening one event


@pytest.mark.parametrize(
    ("originator_id", "prev"),
    [(UUID("12345678-1234-5678-1234-567812345678"), None), ('id "quoted" \u00e9', "ab" * 32)],
    ids=["uuid-first-version", "text-id-chained"],
)
def test_the_payload_is_the_canonical_json_of_what_it_binds(
    originator_id: UUID | str, prev: str | None
) -> None:
    event = StoredEvent(originator_id, 7, TOPIC, '{"a":[1,"\u00fc"],"b":null}'.encode())

    expected = canonical_json(
        {
            "aggregate_id": str(originator_id),
            "prev": prev,
            "state": json.loads(event.state),
            "topic": TOPIC,
            "version": 7,
        }
    )
    assert event_payload(event, prev) == expected


def test_a_signed_event_opens_to_what_was_signed(signer: Signer, keyring: Keyring) -> None:
    aggregate_id = uuid4()
    signed = sign_event(stored(aggregate_id, 3, b'{"n":[1,2],"name":"m"}'), "ab" * 32, signer)

    payload = open_event(signed, keyring)

    assert payload.aggregate_id == str(aggregate_id)
    assert payload.version == 3
    assert payload.topic == TOPIC
    assert payload.state == {"name": "m", "n": [1, 2]}
    assert payload.prev == "ab" * 32
    assert payload.keyid == signer.keyid


def test_a_signed_event_keeps_its_row_identity(signer: Signer) -> None:
    aggregate_id = uuid4()

    signed = sign_event(stored(aggregate_id, 2), None, signer)

    assert (signed.originator_id, signed.originator_version, signed.topic) == (
        aggregate_id,
        2,
        TOPIC,
    )


def test_the_stored_state_is_a_canonical_dsse_envelope(signer: Signer) -> None:
    signed = sign_event(stored(uuid4(), 1), None, signer)

    envelope = Envelope.from_json(signed.state)
    assert envelope.payload_type == PAYLOAD_TYPE
    assert envelope.to_json() == signed.state
    assert envelope.payload == json.dumps(
        json.loads(envelope.payload), sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def test_the_first_event_records_no_previous_event(signer: Signer, keyring: Keyring) -> None:
    signed = sign_event(stored(uuid4(), 1), None, signer)

    assert payload_of(signed)["prev"] is None
    assert open_event(signed, keyring).prev is None


def test_an_envelope_digest_is_the_hex_sha256_of_its_bytes() -> None:
    assert envelope_digest(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_refuses_an_envelope_stored_under_another_aggregate(
    signer: Signer, keyring: Keyring
) -> None:
    signed_for, stored_as = uuid4(), uuid4()
    signed = sign_event(stored(signed_for, 1), None, signer)
    moved = StoredEvent(
        originator_id=stored_as, originator_version=1, topic=TOPIC, state=signed.state
    )

    with pytest.raises(
        VerificationError,
        match=f"payload is for aggregate {signed_for} .* stored as aggregate {stored_as} ",
    ):
        open_event(moved, keyring)


def test_refuses_an_envelope_stored_under_another_version(signer: Signer, keyring: Keyring) -> None:
    aggregate_id = uuid4()
    signed = sign_event(stored(aggregate_id, 2), "00" * 32, signer)
    moved = StoredEvent(
        originator_id=aggregate_id, originator_version=5, topic=TOPIC, state=signed.state
    )

    with pytest.raises(VerificationError, match=r"is for .* version 2 .* stored as .* version 5 "):
        open_event(moved, keyring)


def test_refuses_an_envelope_stored_under_another_topic(signer: Signer, keyring: Keyring) -> None:
    aggregate_id = uuid4()
    signed = sign_event(stored(aggregate_id, 1), None, signer)
    moved = StoredEvent(
        originator_id=aggregate_id,
        originator_version=1,
        topic="domain.aggregates.model:Model.Retired",
        state=signed.state,
    )

    with pytest.raises(
        VerificationError,
        match=r"is for .*\(domain\.aggregates\.model:Model\.Registered\) "
        r".* \(domain\.aggregates\.model:Model\.Retired\)",
    ):
        open_event(moved, keyring)


def test_refuses_an_event_signed_by_an_unregistered_key(keyring: Keyring) -> None:
    stranger = Signer.generate()
    signed = sign_event(stored(uuid4(), 1), None, stranger)

    with pytest.raises(VerificationError, match=f"unregistered key {stranger.keyid}"):
        open_event(signed, keyring)


def test_refuses_a_stored_state_that_is_not_an_envelope(keyring: Keyring) -> None:
    with pytest.raises(VerificationError, match="malformed DSSE envelope"):
        open_event(stored(uuid4(), 1, b'{"a":1}'), keyring)


# Sealing batches


def test_seals_version_1_with_no_previous_event(signer: Signer) -> None:
    (sealed,) = Sealer(lambda: signer).seal([stored(uuid4(), 1)], previous_digest=no_stored_events)

    assert payload_of(sealed.stored)["prev"] is None


def test_chains_an_event_to_the_previous_event_of_its_batch(signer: Signer) -> None:
    aggregate_id = uuid4()

    first, second, third = Sealer(lambda: signer).seal(
        [stored(aggregate_id, 1), stored(aggregate_id, 2), stored(aggregate_id, 3)],
        previous_digest=no_stored_events,
    )

    assert payload_of(second.stored)["prev"] == envelope_digest(first.stored.state)
    assert payload_of(third.stored)["prev"] == envelope_digest(second.stored.state)


def test_chains_each_aggregate_separately_within_a_batch(signer: Signer) -> None:
    one, other = uuid4(), uuid4()

    one_1, other_1, one_2, other_2 = Sealer(lambda: signer).seal(
        [stored(one, 1), stored(other, 1), stored(one, 2), stored(other, 2)],
        previous_digest=no_stored_events,
    )

    assert payload_of(one_2.stored)["prev"] == envelope_digest(one_1.stored.state)
    assert payload_of(other_2.stored)["prev"] == envelope_digest(other_1.stored.state)


def test_chains_a_continuing_version_to_the_stored_envelope(signer: Signer) -> None:
    aggregate_id = uuid4()
    previous_envelope = b'{"stored":"envelope of version 4"}'
    looked_up = []

    def previous_digest(originator_id: UUID | str, version: int) -> str | None:
        looked_up.append((originator_id, version))
        if (originator_id, version) == (aggregate_id, 4):
            return envelope_digest(previous_envelope)
        return None

    five, six = Sealer(lambda: signer).seal(
        [stored(aggregate_id, 5), stored(aggregate_id, 6)], previous_digest=previous_digest
    )

    assert payload_of(five.stored)["prev"] == hashlib.sha256(previous_envelope).hexdigest()
    assert payload_of(six.stored)["prev"] == envelope_digest(five.stored.state)
    assert looked_up == [(aggregate_id, 4)]


def test_refuses_to_seal_a_version_whose_predecessor_is_not_stored(signer: Signer) -> None:
    aggregate_id = uuid4()

    with pytest.raises(StoreError, match=f"aggregate {aggregate_id} has no version 2 .* version 3"):
        Sealer(lambda: signer).seal([stored(aggregate_id, 3)], previous_digest=no_stored_events)


def test_reports_each_envelope_digest_for_the_next_event_to_chain_to(signer: Signer) -> None:
    sealed = Sealer(lambda: signer).seal(
        [stored(uuid4(), 1), stored(uuid4(), 1)], previous_digest=no_stored_events
    )

    assert [s.digest for s in sealed] == [envelope_digest(s.stored.state) for s in sealed]


def test_a_leaf_hash_is_the_rfc_6962_hash_of_the_stored_envelope(signer: Signer) -> None:
    (sealed,) = Sealer(lambda: signer).seal([stored(uuid4(), 1)], previous_digest=no_stored_events)

    assert sealed.leaf_hash == leaf_hash(sealed.stored.state)
    assert sealed.leaf_hash == hashlib.sha256(b"\x00" + sealed.stored.state).digest()


def test_sealed_events_open_with_the_signers_keyring(signer: Signer, keyring: Keyring) -> None:
    aggregate_id = uuid4()
    sealed = Sealer(lambda: signer).seal(
        [stored(aggregate_id, 1, b'{"x":1}'), stored(aggregate_id, 2, b'{"x":2}')],
        previous_digest=no_stored_events,
    )

    states = [open_event(s.stored, keyring).state for s in sealed]

    assert states == [{"x": 1}, {"x": 2}]


def test_signs_each_batch_with_the_signer_current_when_it_is_sealed(
    signer: Signer,
) -> None:
    """A running writer follows a key rotation (finding 7): each batch asks for the key."""
    current = [signer]
    sealer = Sealer(lambda: current.pop(0) if len(current) > 1 else current[0])
    successor = Signer.generate()
    current.append(successor)

    first = sealer.seal([stored(uuid4(), 1)], previous_digest=no_stored_events)
    second = sealer.seal([stored(uuid4(), 1)], previous_digest=no_stored_events)

    assert [Envelope.from_json(s.stored.state).signatures[0].keyid for s in first + second] == [
        signer.keyid,
        successor.keyid,
    ]


def test_loads_no_signer_until_it_first_seals(signer: Signer) -> None:
    loads: list[int] = []

    def load() -> Signer:
        loads.append(1)
        return signer

    Sealer(load)

    assert loads == []


# Strict reading: only the exact form the sealer writes opens (issue 8, findings 1, 2 and 6)


def signed_payload(document: dict[str, object], signer: Signer, *, canonical: bool = True) -> bytes:
    """An envelope over ``document`` signed with the real key, as an insider holding it could."""
    payload = canonical_json(document) if canonical else json.dumps(document).encode()
    return EnvelopeSigner(signer, PAYLOAD_TYPE).sign(payload)


def a_payload(of: UUID, **changes: object) -> dict[str, object]:
    document: dict[str, object] = {
        "aggregate_id": str(of),
        "prev": None,
        "state": {"a": 1},
        "topic": TOPIC,
        "version": 1,
    }
    document.update(changes)
    return document


def reformatted(state: bytes, **dumps: object) -> bytes:
    return json.dumps(json.loads(state), **dumps).encode()  # type: ignore[arg-type]


def test_finding_2_refuses_an_envelope_with_a_second_bogus_signature(
    signer: Signer, keyring: Keyring
) -> None:
    """Finding 2: an added signature changes the stored bytes without any key; it is refused."""
    signed = sign_event(stored(uuid4(), 1), None, signer)
    envelope = Envelope.from_json(signed.state)
    bogus = Signature(keyid="sha256:" + "0" * 64, sig=b"\x00" * 64)
    doubled = Envelope(envelope.payload_type, envelope.payload, (*envelope.signatures, bogus))

    with pytest.raises(VerificationError, match="carries 2 signatures; a stored event has one"):
        open_event(dataclasses.replace(signed, state=doubled.to_json()), keyring)


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda state: reformatted(state, indent=2),
        reformatted,
        lambda state: json.dumps(dict(reversed(json.loads(state).items()))).encode(),
        lambda state: state.replace(b"application/", b"application\\/", 1),
        lambda state: state + b"\n",
        lambda state: b" " + state,
        lambda state: state.replace(b'"payload":"', b'"extra":1,"payload":"', 1),
        lambda state: state.replace(b'"sig":"', b'"extra":1,"sig":"', 1),
    ],
    ids=[
        "re-indented",
        "spaced",
        "members-reordered",
        "escaped-solidus",
        "trailing-newline",
        "leading-space",
        "extra-member",
        "extra-signature-member",
    ],
)
def test_finding_2_refuses_every_re_encoding_of_a_signed_envelope(
    signer: Signer, keyring: Keyring, rewrite: Callable[[bytes], bytes]
) -> None:
    """Finding 2: the stored bytes must be exactly the canonical bytes the sealer wrote."""
    signed = sign_event(stored(uuid4(), 1), None, signer)
    rewritten = rewrite(signed.state)
    assert rewritten != signed.state

    with pytest.raises(VerificationError, match="canonical"):
        open_event(dataclasses.replace(signed, state=rewritten), keyring)


def test_finding_2_refuses_a_non_canonical_payload_re_signed_with_the_real_key(
    signer: Signer, keyring: Keyring
) -> None:
    """Finding 2: same members, other spacing, a valid signature: still not what we write."""
    aggregate_id = uuid4()
    state = signed_payload(a_payload(aggregate_id), signer, canonical=False)

    with pytest.raises(VerificationError, match="payload is not canonical JSON"):
        open_event(stored(aggregate_id, 1, state), keyring)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"version": "1"}, "version is not a positive integer"),
        ({"version": True}, "version is not a positive integer"),
        ({"version": 0}, "version is not a positive integer"),
        ({"aggregate_id": 7}, "aggregate_id is not a UUID"),
        ({"aggregate_id": "not-a-uuid"}, "aggregate_id is not a UUID"),
        ({"topic": 7}, "topic is not a printable string"),
        ({"topic": "a\x1b[2Kb"}, "topic is not a printable string"),
        ({"prev": "AB" * 32}, "prev is neither null nor 64 lowercase hex digits"),
        ({"prev": "ab" * 31}, "prev is neither null nor 64 lowercase hex digits"),
        ({"state": [1]}, "state is not a JSON object"),
        ({"extra": 1}, "payload members are"),
    ],
    ids=[
        "version-text",
        "version-bool",
        "version-zero",
        "id-number",
        "id-not-uuid",
        "topic-number",
        "topic-control-characters",
        "prev-uppercase",
        "prev-short",
        "state-list",
        "extra-member",
    ],
)
def test_finding_2_refuses_a_signed_payload_with_a_wrong_member(
    signer: Signer, keyring: Keyring, changes: dict[str, object], reason: str
) -> None:
    """Finding 2: a payload's members must have exactly the types the sealer writes."""
    aggregate_id = uuid4()
    state = signed_payload(a_payload(aggregate_id, **changes), signer)

    with pytest.raises(VerificationError, match=reason):
        open_event(stored(aggregate_id, 1, state), keyring)


def test_finding_2_refuses_a_payload_whose_id_is_not_in_the_canonical_uuid_spelling(
    signer: Signer, keyring: Keyring
) -> None:
    """Finding 2: a payload naming the aggregate by its hex spelling is not what we sign."""
    aggregate_id = uuid4()
    state = signed_payload(a_payload(aggregate_id, aggregate_id=aggregate_id.hex), signer)

    with pytest.raises(VerificationError, match="aggregate_id is not a UUID in its canonical"):
        open_event(stored(aggregate_id, 1, state), keyring)


def test_refuses_a_payload_missing_a_member(signer: Signer, keyring: Keyring) -> None:
    aggregate_id = uuid4()
    document = a_payload(aggregate_id)
    del document["prev"]
    state = signed_payload(document, signer)

    with pytest.raises(VerificationError, match="payload members are"):
        open_event(stored(aggregate_id, 1, state), keyring)


def test_opens_the_row_id_in_the_sqlite_spelling_as_the_uuid_it_spells(
    signer: Signer, keyring: Keyring
) -> None:
    aggregate_id = uuid4()
    signed = sign_event(stored(aggregate_id, 1), None, signer)

    payload = open_event(dataclasses.replace(signed, originator_id=aggregate_id.hex), keyring)

    assert payload.aggregate_id == str(aggregate_id)


@pytest.mark.parametrize(
    "spell",
    [str, lambda u: u.hex.upper(), lambda u: f"{{{u}}}", lambda u: f"urn:uuid:{u}"],
    ids=["hyphenated", "upper-hex", "braced", "urn"],
)
def test_finding_1_refuses_a_row_id_in_any_other_spelling(
    signer: Signer, keyring: Keyring, spell: Callable[[UUID], str]
) -> None:
    """Finding 1: the app reads by 32 lowercase hex; a re-spelt row is hidden from it."""
    aggregate_id = uuid4()
    signed = sign_event(stored(aggregate_id, 1), None, signer)
    respelt = dataclasses.replace(signed, originator_id=spell(aggregate_id))

    with pytest.raises(VerificationError, match="not in the spelling the application reads by"):
        open_event(respelt, keyring)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("originator_id", "not-a-uuid", "not in the spelling the application reads by"),
        ("originator_id", 7, "not in the spelling the application reads by"),
        ("originator_id", None, "not in the spelling the application reads by"),
        ("originator_version", "2x", "originator_version '2x' is not a positive integer"),
        ("originator_version", 1.0, "originator_version 1.0 is not a positive integer"),
        ("originator_version", True, "originator_version True is not a positive integer"),
        ("originator_version", None, "originator_version None is not a positive integer"),
        ("topic", b"topic", "topic b'topic' is not text"),
        ("topic", None, "topic None is not text"),
        ("topic", "a\x1b[2Kb", "topic 'a\\x1b[2Kb' is not printable text"),
        ("state", "{}", "state is str, not bytes"),
        ("state", None, "state is NoneType, not bytes"),
        ("state", 7, "state is int, not bytes"),
    ],
)
def test_finding_6_refuses_a_row_with_a_value_of_the_wrong_type(
    signer: Signer, keyring: Keyring, column: str, value: object, reason: str
) -> None:
    """Finding 6: SQLite stores any type in any column; only the types we write are read."""
    signed = sign_event(stored(uuid4(), 1), None, signer)
    malformed = dataclasses.replace(signed, **{column: value})

    with pytest.raises(VerificationError, match=re.escape(reason)):
        open_event(malformed, keyring)


@pytest.mark.parametrize(
    "state",
    [b"[" * 100_000, b"\xff\xfe", b'{"payload":"' + b"A" * 7 + b'"}', b""],
    ids=["deeply-nested", "not-utf8", "truncated", "empty"],
)
def test_refuses_hostile_state_bytes_with_a_verification_error(
    keyring: Keyring, state: bytes
) -> None:
    with pytest.raises(VerificationError, match="malformed DSSE envelope"):
        open_event(stored(uuid4(), 1, state), keyring)
