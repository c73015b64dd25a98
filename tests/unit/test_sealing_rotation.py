"""Finding 7: the sealer signs with the key in force and switches keys only by a logged rotation."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.errors import StoreError
from ledger.keys.history import event_key_rotation, log_key_rotation
from ledger.keys.keystore import EVENT_SIGNER, LOG, KeyStore
from ledger.keys.live import CurrentSigner
from ledger.store.sealing import SealedEvent, Sealer


def no_previous(_: object, __: int) -> str | None:
    return None


def signer_of(sealed: SealedEvent) -> str:
    keyid: str = json.loads(sealed.stored.state)["signatures"][0]["keyid"]
    return keyid


def an_event() -> StoredEvent:
    return StoredEvent(uuid4(), 1, "domain.aggregates.dataset:Dataset.Registered", b'{"name":"x"}')


@pytest.fixture
def keystore(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path)
    store.create_missing()
    return store


@pytest.fixture
def sealer(keystore: KeyStore) -> Sealer:
    return Sealer(CurrentSigner(keystore, EVENT_SIGNER), keystore)


def test_a_rotation_is_signed_by_the_outgoing_key_and_the_next_event_by_the_incoming(
    keystore: KeyStore, sealer: Sealer
) -> None:
    outgoing = keystore.event_signer()
    incoming = keystore.stage(EVENT_SIGNER)

    (rotation,) = sealer.seal(
        [event_key_rotation(1, outgoing, incoming)], previous_digest=no_previous
    )
    keystore.settle(EVENT_SIGNER, committed=True)
    (after,) = sealer.seal([an_event()], previous_digest=no_previous)

    assert signer_of(rotation) == outgoing.keyid
    assert signer_of(after) == incoming.keyid
    assert keystore.event_signer().keyid == incoming.keyid


def test_a_sealer_follows_a_rotation_made_by_another_process(
    keystore: KeyStore, sealer: Sealer
) -> None:
    sealer.seal([an_event()], previous_digest=no_previous)  # the key is loaded
    elsewhere = KeyStore(keystore.home)
    incoming = elsewhere.stage(EVENT_SIGNER)
    Sealer(CurrentSigner(elsewhere, EVENT_SIGNER), elsewhere).seal(
        [event_key_rotation(1, elsewhere.event_signer(), incoming)], previous_digest=no_previous
    )

    (after,) = sealer.seal([an_event()], previous_digest=no_previous)

    assert signer_of(after) == incoming.keyid


def test_a_rotation_that_retires_a_key_not_in_force_switches_nothing(
    keystore: KeyStore, sealer: Sealer
) -> None:
    current = keystore.event_signer()
    incoming = keystore.stage(EVENT_SIGNER)
    stale = KeyStore(keystore.home / "elsewhere")
    stale.create_missing()

    with pytest.raises(StoreError, match="another rotation came first"):
        sealer.seal(
            [event_key_rotation(1, stale.event_signer(), incoming)], previous_digest=no_previous
        )

    assert keystore.event_signer().keyid == current.keyid


def test_a_rotation_must_name_the_staged_key(keystore: KeyStore, sealer: Sealer) -> None:
    keystore.stage(EVENT_SIGNER)
    other = KeyStore(keystore.home / "elsewhere")
    other.create_missing()

    with pytest.raises(StoreError, match="names another key than the one staged"):
        sealer.seal(
            [event_key_rotation(1, keystore.event_signer(), other.event_signer())],
            previous_digest=no_previous,
        )


def test_a_rotation_is_sealed_alone(keystore: KeyStore, sealer: Sealer) -> None:
    rotation = event_key_rotation(1, keystore.event_signer(), keystore.stage(EVENT_SIGNER))

    with pytest.raises(StoreError, match="written alone"):
        sealer.seal([an_event(), rotation], previous_digest=no_previous)


def test_a_log_key_rotation_switches_the_log_key_not_the_event_key(
    keystore: KeyStore, sealer: Sealer
) -> None:
    event_key, outgoing = keystore.event_signer(), keystore.log_signer()
    incoming = keystore.stage(LOG)

    (rotation,) = sealer.seal(
        [log_key_rotation(1, outgoing, incoming)], previous_digest=no_previous
    )

    assert signer_of(rotation) == event_key.keyid
    assert keystore.log_signer().keyid == incoming.keyid
    assert keystore.event_signer().keyid == event_key.keyid
