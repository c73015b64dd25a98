"""Finding 7: key rotations as signed events and the windows of trust they define (no I/O)."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.errors import VerificationError
from ledger.keys.ed25519 import Keyring, Signer
from ledger.keys.history import (
    EVENT_KEY_ROTATED,
    KEYS_AGGREGATE_ID,
    LOG_KEY_ROTATED,
    KeyHistory,
    event_key_rotation,
    log_key_rotation,
    parse_rotation,
)
from ledger.tlog.checkpoint import Checkpoint, sign_checkpoint

ORIGIN = "example.org/log"
ROOT = bytes(32)


def state_of(event: StoredEvent) -> Any:
    return json.loads(event.state)


def history_of(event_signers: list[Signer], log_signers: list[Signer]) -> KeyHistory:
    return KeyHistory(
        Keyring(s.public_key for s in event_signers),
        {s.keyid: s.public_key for s in log_signers},
        current_log_keyid=log_signers[0].keyid,
    )


def test_the_key_history_aggregate_id_is_a_fixed_name_based_uuid() -> None:
    assert uuid5(NAMESPACE_URL, "urn:govledger:ledger-keys") == KEYS_AGGREGATE_ID


def test_the_genesis_key_signs_until_a_rotation_and_then_is_retired() -> None:
    first, second = Signer.generate(), Signer.generate()
    history = history_of([first, second], [Signer.generate()])
    rotation = event_key_rotation(1, first, second)

    assert history.signer_problem(first.keyid, 0) is None
    assert history.signer_problem(first.keyid, 1) is None
    assert history.observe(1, rotation, state_of(rotation)) is None

    assert history.signer_problem(second.keyid, 2) is None
    assert history.signer_problem(first.keyid, 3) == (
        f"signed with key {first.keyid} retired at leaf 1"
    )


def test_an_incoming_key_may_not_sign_before_its_rotation() -> None:
    first, second = Signer.generate(), Signer.generate()
    history = history_of([first, second], [Signer.generate()])
    history.signer_problem(first.keyid, 0)

    problem = history.signer_problem(second.keyid, 1)

    assert problem == f"signed with key {second.keyid}, which no rotation brought in before leaf 1"


def test_a_rotation_must_retire_the_key_in_force() -> None:
    first, second, third = Signer.generate(), Signer.generate(), Signer.generate()
    history = history_of([first, second, third], [Signer.generate()])
    history.signer_problem(first.keyid, 0)
    rotation = event_key_rotation(1, second, third)

    problem = history.observe(1, rotation, state_of(rotation))

    assert problem == f"rotation retires {second.keyid}, but the key in force is {first.keyid}"
    assert history.signer_problem(third.keyid, 2) is not None


def test_a_rotation_to_an_unpublished_key_is_a_problem_and_rotates_nothing() -> None:
    first, unpublished = Signer.generate(), Signer.generate()
    history = history_of([first], [Signer.generate()])
    history.signer_problem(first.keyid, 0)
    rotation = event_key_rotation(1, first, unpublished)

    problem = history.observe(1, rotation, state_of(rotation))

    assert problem == f"rotation brings in {unpublished.keyid}, which is not a published event key"
    assert history.signer_problem(first.keyid, 2) is None


def test_a_rotation_topic_outside_the_key_history_aggregate_is_a_problem() -> None:
    first, second = Signer.generate(), Signer.generate()
    history = history_of([first, second], [Signer.generate()])
    rotation = event_key_rotation(1, first, second)
    elsewhere = StoredEvent(KEYS_AGGREGATE_ID.hex[::-1], 1, EVENT_KEY_ROTATED, rotation.state)

    problem = history.observe(1, elsewhere, state_of(rotation))

    assert problem == "key rotations are exactly the events of the key history aggregate"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: {**s, "extra": 1}, "members must be"),
        (lambda s: {**s, "outgoing": 1}, "wrong type"),
        (
            lambda s: {**s, "incoming": {**s["incoming"], "public_key": "AAAA"}},
            "not a 32-byte Ed25519 key",
        ),
        (
            lambda s: {**s, "incoming": {**s["incoming"], "keyid": "sha256:" + "0" * 64}},
            "incoming keyid is not its key's id",
        ),
        (
            lambda s: {**s, "incoming": {**s["incoming"], "public_key": "not base64!"}},
            "not base64",
        ),
    ],
)
def test_a_malformed_rotation_is_refused(change: Any, message: str) -> None:
    state = state_of(event_key_rotation(1, Signer.generate(), Signer.generate()))

    with pytest.raises(VerificationError, match=message):
        parse_rotation(EVENT_KEY_ROTATED, change(state))


def test_log_key_windows_follow_the_rotation_leaf() -> None:
    event_key = Signer.generate()
    old_log, new_log = Signer.generate(), Signer.generate()
    history = history_of([event_key], [old_log, new_log])
    rotation = log_key_rotation(1, old_log, new_log)

    assert history.observe(4, rotation, state_of(rotation)) is None

    assert history.log_keyid_for(4) == old_log.keyid  # the tree of 4 leaves ends before it
    assert history.log_keyid_for(5) == new_log.keyid  # the tree of 5 includes the rotation
    old_note = sign_checkpoint(Checkpoint(ORIGIN, 4, ROOT), ORIGIN, old_log)
    late_note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), ORIGIN, old_log)
    new_note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), ORIGIN, new_log)
    assert history.checkpoint_problems([old_note, new_note], ORIGIN) == []
    assert history.checkpoint_problems([late_note], ORIGIN) == [
        "log key: checkpoint 5 is not signed by the log key in force at that size"
    ]


def test_without_a_log_rotation_only_the_current_log_key_signs() -> None:
    current, other = Signer.generate(), Signer.generate()
    history = KeyHistory(
        Keyring([Signer.generate().public_key]),
        {current.keyid: current.public_key, other.keyid: other.public_key},
        current_log_keyid=current.keyid,
    )

    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), ORIGIN, other)

    assert history.checkpoint_problems([note], ORIGIN) == [
        "log key: checkpoint 3 is not signed by the log key in force at that size"
    ]


def test_a_log_rotation_without_the_outgoing_keys_endorsement_is_a_problem() -> None:
    old_log, new_log = Signer.generate(), Signer.generate()
    history = history_of([Signer.generate()], [old_log, new_log])
    rotation = log_key_rotation(1, old_log, new_log)
    state = state_of(rotation)
    forged = log_key_rotation(1, Signer.generate(), new_log)
    state["endorsement"] = state_of(forged)["endorsement"]

    problem = history.observe(2, rotation, state)

    assert problem == f"the outgoing log key {old_log.keyid} did not endorse the rotation"
    assert history.log_keyid_for(3) == old_log.keyid  # nothing rotated


def test_a_rotation_names_the_incoming_public_key_in_raw_base64() -> None:
    outgoing, incoming = Signer.generate(), Signer.generate()

    state = state_of(event_key_rotation(3, outgoing, incoming))

    assert state == {
        "incoming": {
            "keyid": incoming.keyid,
            "public_key": base64.b64encode(incoming.public_key.public_bytes_raw()).decode(),
        },
        "outgoing": outgoing.keyid,
    }
    assert parse_rotation(LOG_KEY_ROTATED, {**state, "endorsement": "AA=="}).incoming_keyid == (
        incoming.keyid
    )


def test_a_history_built_from_event_keys_alone_leaves_log_rotations_unchecked() -> None:
    event_key, old_log, new_log = Signer.generate(), Signer.generate(), Signer.generate()
    history = KeyHistory(Keyring([event_key.public_key]), {})
    rotation = log_key_rotation(1, old_log, new_log)

    assert history.signer_problem(event_key.keyid, 0) is None
    assert history.observe(0, rotation, state_of(rotation)) is None
    assert history.signer_problem(event_key.keyid, 1) is None


def test_a_log_rotation_retiring_an_unpublished_log_key_is_a_problem() -> None:
    stranger, new_log = Signer.generate(), Signer.generate()
    history = history_of([Signer.generate()], [Signer.generate(), new_log])
    rotation = log_key_rotation(1, stranger, new_log)

    problem = history.observe(2, rotation, state_of(rotation))

    assert problem is not None
    assert problem.startswith(f"rotation retires log key {stranger.keyid}, which is not")
