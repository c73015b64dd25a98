"""Signed stored events, and sealing batches of them into chained, numbered log leaves."""

from __future__ import annotations

import hashlib
import json
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.canonical import canonical_json
from ledger.dsse import Envelope
from ledger.errors import StoreError, VerificationError
from ledger.keys import Keyring, Signer
from ledger.merkle import leaf_hash
from ledger.sealing import Sealer
from ledger.signed_event import (
    PAYLOAD_TYPE,
    envelope_digest,
    event_payload,
    open_event,
    sign_event,
)

TOPIC = "domain.model:Model.Registered"


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
    signed = sign_event(stored(aggregate_id, 3, b'{"name":"m","n":[1,2]}'), "ab" * 32, signer)

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
        topic="domain.model:Model.Retired",
        state=signed.state,
    )

    with pytest.raises(
        VerificationError,
        match=r"is for .*\(domain\.model:Model\.Registered\) .* \(domain\.model:Model\.Retired\)",
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


def test_loads_the_signer_once_and_only_when_first_sealing(signer: Signer) -> None:
    loads = []

    def load() -> Signer:
        loads.append(1)
        return signer

    sealer = Sealer(load)
    assert loads == []

    for _ in range(2):
        sealer.seal([stored(uuid4(), 1)], previous_digest=no_stored_events)

    assert loads == [1]
