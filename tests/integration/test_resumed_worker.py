"""A worker resuming from its recorded position checks what a full pass from leaf 0 checks: the
key windows learnt from the rotations before its start, and each aggregate's chain to the last
event it met before then. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from api.composition import Ledger, open_ledger
from api.read_side import projector
from api.settings import Settings
from ledger.encoding.canonical import canonical_json
from ledger.keys.history import KEYS_AGGREGATE_ID
from ledger.keys.keystore import EVENT_SIGNER
from ledger.keys.rotation import rotate_key
from projections.errors import ProjectionError
from tests.integration.raw_access import RawAccess
from tests.integration.test_key_rotation import home_with_key
from tests.integration.test_signed_store import add_versions


class ResumedWorkerContract:
    def test_a_resumed_worker_follows_a_rotation_before_its_start(self, ledger: Ledger) -> None:
        add_versions(ledger.application, "credit", 1)
        rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)
        add_versions(ledger.application, "loans", 1)
        position = projector(ledger).catch_up()
        add_versions(ledger.application, "fraud", 2)

        assert projector(ledger).catch_up() > position

    def test_a_resumed_worker_refuses_an_event_signed_by_a_key_retired_before_its_start(
        self, ledger: Ledger, settings: Settings, tmp_path: Path
    ) -> None:
        add_versions(ledger.application, "credit", 1)
        old = ledger.keystore.event_signer()
        rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER)
        rotation = ledger.log.leaf_of(KEYS_AGGREGATE_ID, 1)
        assert rotation is not None
        position = projector(ledger).catch_up()
        thief = open_ledger(home_with_key(settings, tmp_path, old))
        try:
            add_versions(thief.application, "forged", 0)
        finally:
            thief.close()

        with pytest.raises(ProjectionError, match=f"retired at leaf {rotation.leaf_index}"):
            projector(ledger).catch_up()
        assert projector(ledger).position() == position

    def test_a_resumed_worker_refuses_an_event_that_does_not_chain_to_one_before_its_start(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 1)
        position = projector(ledger).catch_up()
        dataset = ledger.application.repository.get(dataset_id)
        dataset.add_version(
            digest="sha256:" + "f" * 64,
            row_count=7,
            columns=["age"],
            protected_attributes=[],
            sensitivity="internal",
            actor="steward",
        )
        ledger.application.save(dataset)
        # The last event before the resume point, altered in place: the next one's prev no
        # longer names it (the altered row itself was projected before, when it was sound).
        envelope = json.loads(raw.state(dataset_id, 2))
        original = base64.b64decode(envelope["payload"])
        payload = original.replace(b'"amount"', b'"amounx"')
        assert payload != original
        envelope["payload"] = base64.b64encode(payload).decode("ascii")
        raw.set_state(dataset_id, 2, canonical_json(envelope))

        with pytest.raises(ProjectionError, match="prev does not match"):
            projector(ledger).catch_up()
        assert projector(ledger).position() == position


class TestResumedWorkerOnSQLite(ResumedWorkerContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestResumedWorkerOnPostgres(ResumedWorkerContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
