"""Finding 7: keys with lifetimes. A rotation is a signed event of the log; each key is trusted
only within its window; running writers and readers follow a rotation; the log key rotates too.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import time
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent

from api.composition import Ledger, open_ledger
from api.settings import Settings
from ledger.errors import KeyStoreError, StoreError, VerificationError
from ledger.keys.ed25519 import Signer, public_key_pem
from ledger.keys.history import (
    EVENT_KEY_ROTATED,
    KEYS_AGGREGATE_ID,
    LOG_KEY_ROTATED,
    EventKeyRotated,
    event_key_rotation,
    log_key_rotation,
)
from ledger.keys.keystore import EVENT_SIGNER, LOG
from ledger.keys.rotation import repair_interrupted_rotation, rotate_key
from ledger.tlog.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.tlog.note import NoteVerifier, vkey_for
from ledger.tlog.offline_check import verify_entry
from ledger.tlog.proof_format import TlogProof
from ledger.verify.events import Report, verify_store
from ledger.verify.tree import verify_tree
from tests.conftest import make_settings
from tests.integration.raw_access import RawAccess
from tests.integration.test_signed_store import add_versions


def envelope_keyid(state: bytes) -> str:
    keyid: str = json.loads(state)["signatures"][0]["keyid"]
    return keyid


def payload_of(state: bytes) -> dict[str, object]:
    payload: dict[str, object] = json.loads(base64.b64decode(json.loads(state)["payload"]))
    return payload


def verify_events(ledger: Ledger) -> Report:
    """What `govledger verify` does for the events: each key trusted within its window."""
    return verify_store(ledger.log, ledger.key_history())


def verify_log(ledger: Ledger) -> list[str]:
    """What `govledger verify` does for the tree and checkpoints; the problems found."""
    history = ledger.key_history()
    verify_store(ledger.log, history)
    tree = verify_tree(
        ledger.tree, origin=ledger.settings.log_origin, verifiers=ledger.log_verifiers()
    )
    return [
        problem
        for problem in [*tree.problems, *ledger.checkpoint_key_problems(history, [])]
        # Another finding's work in progress (signed checkpoint times) is not this file's claim.
        if "time signed" not in problem
    ]


def home_with_key(settings: Settings, tmp_path: Path, signer: Signer) -> Settings:
    """A copy of the home whose event-signing key is ``signer``: what a thief of it holds."""
    home = tmp_path / "thief"
    shutil.copytree(settings.home, home)
    (home / "keys" / "event-signer.key").write_bytes(signer.private_pem(None))
    return make_settings(settings.database_url, home)


class KeyRotationContract:
    """What every engine must do; subclasses provide ``database_url``."""

    def test_finding_7_an_event_forged_with_the_retired_key_after_its_window_is_reported(
        self, ledger: Ledger, settings: Settings, tmp_path: Path
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        old = ledger.keystore.event_signer()
        rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)
        rotation_leaf = ledger.log.leaf_of(KEYS_AGGREGATE_ID, 1)
        assert rotation_leaf is not None

        # The thief appends through a store of their own, signing with the stolen old key: the
        # envelope, chain and leaf hash are all well formed.
        thief = open_ledger(home_with_key(settings, tmp_path, old))
        try:
            add_versions(thief.application, "forged", 0)
        finally:
            thief.close()

        report = verify_events(ledger)
        forged = [p for p in report.problems if p.aggregate_id != str(dataset_id)]
        assert [p.reason for p in forged] == [
            f"signed with key {old.keyid} retired at leaf {rotation_leaf.leaf_index}"
        ]
        assert forged[0].leaf_index == rotation_leaf.leaf_index + 1

    def test_finding_7_a_published_key_no_rotation_brought_in_is_reported(
        self, ledger: Ledger, settings: Settings, tmp_path: Path
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        intruder = Signer.generate()
        (ledger.keystore.public_directory / "event-signer-0123456789abcdef.pem").write_bytes(
            public_key_pem(intruder.public_key)
        )

        thief = open_ledger(home_with_key(settings, tmp_path, intruder))
        try:
            forged_id = add_versions(thief.application, "forged", 0)
        finally:
            thief.close()

        (problem,) = verify_events(ledger).problems
        assert problem.reason.startswith(f"signed with key {intruder.keyid}, which no rotation")
        reader = open_ledger(settings)  # a reader started after the key file appeared
        try:
            with pytest.raises(VerificationError, match="unregistered key"):
                reader.application.repository.get(forged_id)
        finally:
            reader.close()

    def test_the_rotation_is_a_log_event_signed_by_the_outgoing_key_naming_the_incoming(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        old = ledger.keystore.event_signer()

        new = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)

        state = raw.state(KEYS_AGGREGATE_ID, 1)
        assert envelope_keyid(state) == old.keyid
        payload = payload_of(state)
        assert payload["topic"] == EVENT_KEY_ROTATED
        assert payload["state"] == {
            "incoming": {
                "keyid": new.keyid,
                "public_key": base64.b64encode(new.public_key.public_bytes_raw()).decode(),
            },
            "outgoing": old.keyid,
        }
        assert ledger.keystore.event_signer().keyid == new.keyid
        assert sorted(p.name for p in ledger.keystore.directory.glob("*.key")) == [
            "event-signer.key",
            "log.key",
        ]

    def test_events_before_and_after_rotations_verify_each_under_its_own_key(
        self, ledger: Ledger
    ) -> None:
        first = ledger.keystore.event_signer().keyid
        add_versions(ledger.application, "before", 1)
        second = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER).keyid
        add_versions(ledger.application, "between", 1)
        third = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER).keyid
        add_versions(ledger.application, "after", 1)

        report = verify_events(ledger)

        assert report.intact, report.problems
        assert report.keyids == {first, second, third}

    def test_a_writer_opened_before_a_rotation_signs_with_the_incoming_key(
        self, ledger: Ledger, settings: Settings, raw: RawAccess
    ) -> None:
        add_versions(ledger.application, "warm", 1)  # the writer has loaded its key
        other = open_ledger(settings)
        try:
            new = rotate_key(other.recorder, other.keystore, EVENT_SIGNER)
        finally:
            other.close()

        dataset_id = add_versions(ledger.application, "after", 0)

        assert envelope_keyid(raw.state(dataset_id, 1)) == new.keyid
        assert verify_events(ledger).intact

    def test_a_reader_opened_before_a_rotation_reads_events_signed_by_the_incoming_key(
        self, ledger: Ledger, settings: Settings
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 0)
        ledger.application.repository.get(dataset_id)  # the reader has loaded its keyring
        writer = open_ledger(settings)
        try:
            rotate_key(writer.recorder, writer.keystore, EVENT_SIGNER)
            dataset = writer.application.repository.get(dataset_id)
            dataset.add_version(
                digest="sha256:" + "ab" * 32,
                row_count=1,
                columns=["age"],
                protected_attributes=[],
                sensitivity="internal",
                actor="steward",
            )
            writer.application.save(dataset)
        finally:
            writer.close()

        assert ledger.application.repository.get(dataset_id).version == 2

    def test_a_rotation_that_names_a_key_no_longer_current_changes_nothing(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        current = ledger.keystore.event_signer()
        stale, incoming = Signer.generate(), ledger.keystore.stage(EVENT_SIGNER)

        with pytest.raises(StoreError, match="another rotation came first"):
            ledger.recorder.insert_events([event_key_rotation(1, stale, incoming)])

        ledger.keystore.settle(EVENT_SIGNER, committed=False)
        assert ledger.keystore.event_signer().keyid == current.keyid
        assert not list(ledger.keystore.directory.glob("*.next.key"))
        assert ledger.log.leaf_of(KEYS_AGGREGATE_ID, 1) is None

    def test_log_key_rotation_keeps_old_checkpoints_and_proofs_verifiable(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "before", 1)
        old_checkpoint = ledger.checkpointer.cut()
        assert old_checkpoint is not None
        old_vkey = vkey_for(ledger.settings.log_origin, ledger.keystore.log_public_key())

        new = rotate_key(ledger.recorder, ledger.keystore, LOG)
        add_versions(ledger.application, "after", 1)
        new_checkpoint = ledger.checkpointer.cut()
        assert new_checkpoint is not None

        assert verify_log(ledger) == []
        origin = ledger.settings.log_origin
        new_verifier = NoteVerifier.from_vkey(vkey_for(origin, new.public_key))
        assert open_checkpoint(new_checkpoint.note, [new_verifier], origin).size == 5
        # An auditor holding the old vkey and a proof against the old checkpoint: still yes.
        (entry,) = ledger.log.select_log_entries(0, 1)
        assert entry.stored is not None
        with ledger.tree.reading() as c:
            hashes = ledger.tree.inclusion_proof(c, 0, old_checkpoint.size)
        proof = TlogProof(index=0, hashes=tuple(hashes), checkpoint_note=old_checkpoint.note)
        verified = verify_entry(proof=proof.to_text(), entry=entry.stored.state, vkey=old_vkey)
        assert verified.checkpoint.size == old_checkpoint.size

    def test_a_log_rotation_is_endorsed_by_the_outgoing_log_key(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        old_log = ledger.keystore.log_signer()

        rotate_key(ledger.recorder, ledger.keystore, LOG)

        payload = payload_of(raw.state(KEYS_AGGREGATE_ID, 1))
        assert payload["topic"] == LOG_KEY_ROTATED
        state = payload["state"]
        assert isinstance(state, dict)
        assert state["outgoing"] == old_log.keyid
        assert set(state) == {"endorsement", "incoming", "outgoing"}

    def test_a_checkpointer_opened_before_a_log_rotation_signs_with_the_incoming_key(
        self, ledger: Ledger, settings: Settings
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        assert ledger.checkpointer.cut() is not None  # the checkpointer has loaded its key
        other = open_ledger(settings)
        try:
            new = rotate_key(other.recorder, other.keystore, LOG)
        finally:
            other.close()

        signed = ledger.checkpointer.cut()

        assert signed is not None
        verifier = NoteVerifier.from_vkey(vkey_for(settings.log_origin, new.public_key))
        open_checkpoint(signed.note, [verifier], settings.log_origin)
        assert verify_log(ledger) == []

    def test_finding_7_a_checkpoint_signed_by_the_retired_log_key_after_its_window_is_reported(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        old_log = ledger.keystore.log_signer()
        rotate_key(ledger.recorder, ledger.keystore, LOG)
        signed = ledger.checkpointer.cut()
        assert signed is not None
        origin = ledger.settings.log_origin
        forged = sign_checkpoint(Checkpoint(origin, signed.size, signed.root), origin, old_log)
        history = ledger.key_history()
        verify_store(ledger.log, history)

        problems = ledger.checkpoint_key_problems(history, [forged])

        assert problems == [
            f"log key: checkpoint {signed.size} is not signed by the log key in force at that size"
        ]

    def test_the_store_refuses_a_rotation_outside_the_key_history_aggregate(
        self, ledger: Ledger
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 0)
        current = ledger.keystore.event_signer()
        rotation = event_key_rotation(2, current, ledger.keystore.stage(EVENT_SIGNER))

        with pytest.raises(StoreError, match="on the key history aggregate"):
            ledger.recorder.insert_events(
                [StoredEvent(dataset_id, 2, rotation.topic, rotation.state)]
            )

        assert ledger.keystore.event_signer().keyid == current.keyid

    def test_a_rotation_interrupted_before_its_commit_is_undone_by_repair(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        outgoing = ledger.keystore.event_signer()
        ledger.keystore.stage(EVENT_SIGNER)
        ledger.keystore.activate(EVENT_SIGNER)  # ...and the process died before its commit

        with pytest.raises(KeyStoreError, match="rotate-key --repair"):
            rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)
        repaired = repair_interrupted_rotation(ledger.recorder, ledger.keystore, EVENT_SIGNER)

        assert repaired is False
        assert ledger.keystore.event_signer().keyid == outgoing.keyid
        rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)
        add_versions(ledger.application, "after", 0)
        assert verify_events(ledger).intact

    def test_a_rotation_interrupted_after_its_commit_is_finished_by_repair(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        outgoing = ledger.keystore.event_signer()
        incoming = ledger.keystore.stage(EVENT_SIGNER)
        ledger.recorder.insert_events([event_key_rotation(1, outgoing, incoming)])
        # ...and the process died before dropping the outgoing key file.

        repaired = repair_interrupted_rotation(ledger.recorder, ledger.keystore, EVENT_SIGNER)

        assert repaired is True
        assert ledger.keystore.event_signer().keyid == incoming.keyid
        assert not ledger.keystore.rotation_in_flight(EVENT_SIGNER)
        add_versions(ledger.application, "after", 0)
        assert verify_events(ledger).intact

    def test_a_checkpoint_waits_while_a_log_key_rotation_is_committing(
        self, ledger: Ledger, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        before = ledger.checkpointer.cut()
        outgoing = ledger.keystore.log_signer()
        incoming = ledger.keystore.stage(LOG)
        ledger.recorder.insert_events([log_key_rotation(1, outgoing, incoming)])

        with caplog.at_level(logging.WARNING, logger="govledger.alarm"):
            deferred = ledger.checkpointer.cut()  # the rotation has not settled its files yet
            quiet = list(caplog.records)
            later = time.monotonic() + 60
            monkeypatch.setattr("ledger.tlog.checkpointer.time.monotonic", lambda: later)
            assert ledger.checkpointer.cut() == before
        monkeypatch.undo()
        ledger.keystore.settle(LOG, committed=True)
        signed = ledger.checkpointer.cut()

        assert deferred == before
        assert quiet == []  # a rotation settling right now is no alarm...
        assert "rotate-key --repair" in caplog.text  # ...one that stays unsettled is
        assert signed is not None
        assert before is not None
        assert signed.size == before.size + 1
        assert verify_log(ledger) == []

    def test_the_application_reads_a_rotation_from_its_notification_log(
        self, ledger: Ledger
    ) -> None:
        add_versions(ledger.application, "credit", 0)
        new = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)

        notifications = ledger.application.notification_log.select(1, 10)
        last = ledger.application.mapper.to_domain_event(notifications[-1])

        assert isinstance(last, EventKeyRotated)
        assert last.__dict__["incoming"]["keyid"] == new.keyid


class TestKeyRotationOnSQLite(KeyRotationContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestKeyRotationOnPostgres(KeyRotationContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
