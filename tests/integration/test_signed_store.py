"""The signed event store's contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import threading
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from api.composition import Ledger, open_ledger
from api.database import Database
from api.settings import Settings
from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from ledger.errors import VerificationError
from ledger.keys.ed25519 import keyid_of, public_key_from_pem
from ledger.keys.keystore import EVENT_SIGNER, KeyStore
from ledger.keys.rotation import rotate_key
from ledger.merkle import leaf_hash
from ledger.store.digest_cache import DigestCache
from ledger.store.postgres import SignedPostgresApplicationRecorder
from ledger.store.signed_event import PAYLOAD_TYPE
from ledger.store.sqlite import SignedSQLiteApplicationRecorder
from ledger.verify.events import Report, verify_store
from tests.integration.raw_access import RawAccess


def add_versions(application: GovernanceApplication, name: str, count: int) -> UUID:
    """Record dataset ``name`` and ``count`` versions, one transaction per event.

    Saves the aggregate directly: these tests are about the store, not about who may act.
    """
    dataset = Dataset(name=name, description="test data", actor="steward")
    application.save(dataset)
    for number in range(count):
        dataset.add_version(
            digest="sha256:" + hashlib.sha256(f"{name}-{number}".encode()).hexdigest(),
            row_count=100 + number,
            columns=["age", "amount"],
            protected_attributes=["age"],
            sensitivity="internal",
            actor="steward",
        )
        application.save(dataset)
    return dataset.id


def payload_of(state: bytes) -> dict[str, object]:
    envelope = json.loads(state)
    payload: dict[str, object] = json.loads(base64.b64decode(envelope["payload"]))
    return payload


def reasons(report: Report, aggregate_id: UUID, version: int) -> list[str]:
    return [
        p.reason
        for p in report.problems
        if p.aggregate_id == str(aggregate_id) and p.version == version
    ]


class SignedStoreContract:
    """What every engine must do; subclasses provide ``database_url``."""

    def verify(self, ledger: Ledger) -> Report:
        return verify_store(ledger.log, ledger.keyring())

    def test_stores_each_event_as_an_envelope_signed_by_the_service_key(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)

        envelope = json.loads(raw.state(dataset_id, 2))
        assert envelope["payloadType"] == PAYLOAD_TYPE
        assert [s["keyid"] for s in envelope["signatures"]] == [
            ledger.keystore.event_signer().keyid
        ]
        payload = payload_of(raw.state(dataset_id, 2))
        assert payload["aggregate_id"] == str(dataset_id)
        assert payload["version"] == 2
        assert payload["topic"] == "domain.aggregates.dataset:Dataset.VersionAdded"
        assert isinstance(payload["state"], dict)
        assert payload["state"]["actor"] == "steward"

    def test_reads_back_what_was_written(self, ledger: Ledger) -> None:
        dataset_id = add_versions(ledger.application, "credit", 2)

        dataset = ledger.application.get_dataset(dataset_id)

        assert dataset.name == "credit"
        assert [v.row_count for v in dataset.versions] == [100, 101]

    def test_chains_each_event_to_the_previous_event_of_its_aggregate(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 3)

        assert payload_of(raw.state(dataset_id, 1))["prev"] is None
        for version in (2, 3, 4):
            expected = hashlib.sha256(raw.state(dataset_id, version - 1)).hexdigest()
            assert payload_of(raw.state(dataset_id, version))["prev"] == expected

    def test_chains_to_the_stored_envelope_when_its_digest_is_not_remembered(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        dataset = ledger.application.get_dataset(dataset_id)
        recorder = ledger.application.recorder
        assert isinstance(
            recorder, SignedSQLiteApplicationRecorder | SignedPostgresApplicationRecorder
        )
        recorder.digests = DigestCache()  # as after a restart, or an eviction

        dataset.add_version(
            digest="sha256:" + "2" * 64,
            row_count=7,
            columns=["a"],
            protected_attributes=[],
            sensitivity="public",
            actor="steward",
        )
        ledger.application.save(dataset)

        expected = hashlib.sha256(raw.state(dataset_id, 2)).hexdigest()
        assert payload_of(raw.state(dataset_id, 3))["prev"] == expected
        assert self.verify(ledger).intact

    def test_numbers_leaves_densely_in_commit_order_with_rfc6962_hashes(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        first = add_versions(ledger.application, "first", 2)
        second = add_versions(ledger.application, "second", 1)

        leaves = raw.leaves()
        assert [index for index, _, _ in leaves] == list(range(5))
        assert [version for _, version, _ in leaves] == [1, 2, 3, 1, 2]
        states = [raw.state(first, v) for v in (1, 2, 3)] + [raw.state(second, v) for v in (1, 2)]
        assert [h for _, _, h in leaves] == [leaf_hash(state) for state in states]

    def test_seals_several_events_of_one_save_in_one_transaction(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset = Dataset(name="batch", description="two events, one save", actor="steward")
        dataset.add_version(
            digest="sha256:" + "0" * 64,
            row_count=1,
            columns=["a"],
            protected_attributes=[],
            sensitivity="public",
            actor="steward",
        )
        ledger.application.save(dataset)

        assert [index for index, _, _ in raw.leaves()] == [0, 1]
        expected = hashlib.sha256(raw.state(dataset.id, 1)).hexdigest()
        assert payload_of(raw.state(dataset.id, 2))["prev"] == expected
        assert self.verify(ledger).intact

    def test_a_version_conflict_writes_no_event_and_no_leaf(
        self, ledger: Ledger, settings: Settings, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        other = open_ledger(settings)
        try:
            mine = ledger.application.get_dataset(dataset_id)
            theirs = other.application.get_dataset(dataset_id)
            for dataset in (mine, theirs):
                dataset.add_version(
                    digest="sha256:" + "1" * 64,
                    row_count=5,
                    columns=["a"],
                    protected_attributes=[],
                    sensitivity="public",
                    actor="steward",
                )
            ledger.application.save(mine)
            with pytest.raises(IntegrityError):
                other.application.save(theirs)
        finally:
            other.close()

        assert [index for index, _, _ in raw.leaves()] == [0, 1, 2]
        assert raw.count("ledger_events") == 3
        assert self.verify(ledger).intact

    def test_concurrent_writers_wait_their_turn_and_keep_the_leaf_index_dense(
        self, settings: Settings, database: Database, raw: RawAccess
    ) -> None:
        failures: list[BaseException] = []

        def write(writer: int) -> None:
            opened = open_ledger(settings)
            try:
                for dataset in range(15):
                    add_versions(opened.application, f"writer-{writer}-{dataset}", 2)
            except BaseException as exc:  # reported by the assertion below
                failures.append(exc)
            finally:
                opened.close()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert not failures
        leaves = raw.leaves()
        assert [index for index, _, _ in leaves] == list(range(3 * 15 * 3))
        assert raw.count("ledger_events") == len(leaves)
        ledger = open_ledger(settings)
        try:
            assert self.verify(ledger).intact
        finally:
            ledger.close()

    def test_verify_reports_an_intact_ledger(self, ledger: Ledger) -> None:
        add_versions(ledger.application, "credit", 2)
        add_versions(ledger.application, "fraud", 1)

        report = self.verify(ledger)

        assert report.intact, report.problems
        assert report.leaves == 5
        assert report.keyids == {ledger.keystore.event_signer().keyid}

    def test_verify_catches_one_changed_byte_of_a_stored_payload(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 2)
        envelope = json.loads(raw.state(dataset_id, 2))
        payload = bytearray(base64.b64decode(envelope["payload"]))
        payload[payload.index(b"steward")] ^= 0x01
        envelope["payload"] = base64.b64encode(bytes(payload)).decode()
        raw.set_state(dataset_id, 2, json.dumps(envelope).encode())

        report = self.verify(ledger)

        assert not report.intact
        found = reasons(report, dataset_id, 2)
        assert any("does not verify" in r for r in found), found
        assert any("leaf hash" in r for r in found), found

    def test_verify_catches_a_replaced_signature(self, ledger: Ledger, raw: RawAccess) -> None:
        dataset_id = add_versions(ledger.application, "credit", 2)
        envelope = json.loads(raw.state(dataset_id, 3))
        other = json.loads(raw.state(dataset_id, 1))
        envelope["signatures"][0]["sig"] = other["signatures"][0]["sig"]
        raw.set_state(dataset_id, 3, json.dumps(envelope).encode())

        report = self.verify(ledger)

        assert any("does not verify" in r for r in reasons(report, dataset_id, 3))

    def test_verify_catches_an_event_removed_from_a_history(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 3)
        for table in ("ledger_events", "ledger_leaves"):
            raw.execute(
                f"DELETE FROM {table} WHERE originator_id = ? AND originator_version = 2",
                (raw.id_param(dataset_id),),
                bypass_append_only=True,
            )

        report = self.verify(ledger)

        found = reasons(report, dataset_id, 3)
        assert any("leaves 1..1 are missing" in r for r in found), found
        assert any("expected version 2" in r for r in found), found

    def test_verify_catches_two_swapped_events(self, ledger: Ledger, raw: RawAccess) -> None:
        dataset_id = add_versions(ledger.application, "credit", 3)
        second, third = raw.state(dataset_id, 2), raw.state(dataset_id, 3)
        raw.set_state(dataset_id, 2, third)
        raw.set_state(dataset_id, 3, second)

        report = self.verify(ledger)

        for version in (2, 3):
            found = reasons(report, dataset_id, version)
            assert any("but is stored as" in r for r in found), found
            assert any("leaf hash" in r for r in found), found

    def test_verify_catches_an_event_signed_with_an_unregistered_key(
        self, ledger: Ledger, settings: Settings, tmp_path: Path
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        rogue_home = tmp_path / "rogue"
        rogue_keyid = KeyStore(rogue_home).create_missing()[0]
        # The intruder trusts the genuine keys too, so it can read the history it extends.
        shutil.copytree(
            settings.home / "keys" / "public", rogue_home / "keys" / "public", dirs_exist_ok=True
        )
        rogue = open_ledger(settings.model_copy(update={"home": rogue_home}))
        try:
            dataset = rogue.application.get_dataset(dataset_id)
            dataset.add_version(
                digest="sha256:" + "f" * 64,
                row_count=1,
                columns=["a"],
                protected_attributes=[],
                sensitivity="public",
                actor="intruder",
            )
            rogue.application.save(dataset)
        finally:
            rogue.close()

        report = self.verify(ledger)

        assert reasons(report, dataset_id, 3) == [f"signed with unregistered key {rogue_keyid}"]

    def test_reading_a_tampered_event_raises_instead_of_returning_it(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        state = raw.state(dataset_id, 2).replace(b'"sig":"', b'"sig":"AAAA', 1)
        raw.set_state(dataset_id, 2, state)

        with pytest.raises(VerificationError, match=f"event {dataset_id} version 2"):
            ledger.application.get_dataset(dataset_id)

    @pytest.mark.parametrize("table", ["ledger_events", "ledger_leaves"])
    def test_the_database_refuses_update_and_delete(
        self, ledger: Ledger, raw: RawAccess, table: str
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        before = raw.execute(f"SELECT * FROM {table} ORDER BY originator_version")

        with pytest.raises(Exception, match="append-only"):
            raw.execute(f"UPDATE {table} SET originator_version = originator_version + 10")
        with pytest.raises(Exception, match="append-only"):
            raw.execute(f"DELETE FROM {table}")

        assert raw.execute(f"SELECT * FROM {table} ORDER BY originator_version") == before

    def test_events_signed_before_a_key_rotation_stay_verifiable(
        self, ledger: Ledger, settings: Settings
    ) -> None:
        add_versions(ledger.application, "before", 1)
        old_keyid = ledger.keystore.event_signer().keyid
        new_keyid = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER).keyid
        rotated = open_ledger(settings)
        try:
            add_versions(rotated.application, "after", 1)
            report = verify_store(rotated.log, rotated.keyring())
        finally:
            rotated.close()

        assert report.intact, report.problems
        assert report.keyids == {old_keyid, new_keyid}

    def test_a_third_party_dsse_library_verifies_a_stored_envelope(
        self, ledger: Ledger, raw: RawAccess, settings: Settings
    ) -> None:
        from cryptography.hazmat.primitives import serialization
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import SSlibKey

        dataset_id = add_versions(ledger.application, "credit", 1)
        (pem_path,) = (settings.home / "keys" / "public").glob("event-signer-*.pem")
        public_key = serialization.load_pem_public_key(pem_path.read_bytes())
        der = public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        keyid = "sha256:" + hashlib.sha256(der).hexdigest()
        key = SSlibKey.from_crypto(public_key, keyid=keyid)

        envelope = Envelope.from_dict(json.loads(raw.state(dataset_id, 2)))
        accepted = envelope.verify([key], threshold=1)

        assert list(accepted) == [keyid]
        assert keyid == keyid_of(public_key_from_pem(pem_path.read_bytes()))
        assert json.loads(envelope.pae().split(b" ", 4)[4])["version"] == 2


class TestSignedStoreOnSQLite(SignedStoreContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestSignedStoreOnPostgres(SignedStoreContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
