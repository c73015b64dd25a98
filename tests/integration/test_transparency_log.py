"""The transparency log's contract, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from uuid import UUID

import pytest

from api.composition import Ledger, log_vkey, open_ledger, published_checkpoint
from api.database import Database
from api.settings import Settings
from ledger import merkle
from ledger.encoding.dsse import Envelope, sign_envelope
from ledger.errors import InconsistentLogError
from ledger.tlog.checkpoint import Checkpoint, checkpoint_time, open_checkpoint, sign_checkpoint
from ledger.tlog.checkpointer import Checkpointer
from ledger.tlog.note import NoteVerifier
from ledger.tlog.offline_check import verify_entry
from ledger.tlog.proof_format import TlogProof
from ledger.tlog.published_checkpoint import CheckpointFile
from ledger.verify.tree import TreeReport, verify_tree
from tests.conftest import make_settings
from tests.integration.raw_access import RawAccess
from tests.integration.test_signed_store import add_versions


class TransparencyLogContract:
    """What the log does on every engine; subclasses provide ``database_url``."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(database_url, tmp_path / "home").model_copy(
            update={"checkpoint_every_leaves": 10_000, "checkpoint_every_seconds": 3600.0}
        )

    def leaf_hashes(self, raw: RawAccess) -> list[bytes]:
        return [leaf for _, _, leaf in raw.leaves()]

    def verify(self, ledger: Ledger, *published: str, block_size: int = 1 << 16) -> TreeReport:
        return verify_tree(
            ledger.tree,
            origin=ledger.settings.log_origin,
            verifiers=[ledger.log_verifier()],
            published=published,
            block_size=block_size,
        )

    def grow(self, ledger: Ledger, name: str, versions: int) -> int:
        add_versions(ledger.application, name, versions)
        checkpoint = ledger.checkpointer.cut()
        assert checkpoint is not None
        return checkpoint.size

    def test_an_empty_log_has_no_checkpoint_to_sign(self, ledger: Ledger) -> None:
        assert ledger.checkpointer.cut() is None

    def test_a_checkpoint_signs_the_rfc6962_root_of_the_leaves(
        self, ledger: Ledger, raw: RawAccess, settings: Settings
    ) -> None:
        size = self.grow(ledger, "credit", 4)

        stored = ledger.checkpointer.cut()
        assert stored is not None
        verifier = NoteVerifier.from_vkey(log_vkey(settings, ledger.keystore))
        signed = open_checkpoint(stored.note, [verifier], settings.log_origin)
        assert (signed.origin, signed.size) == (settings.log_origin, size)
        assert signed.root == merkle.root_hash(self.leaf_hashes(raw))
        assert published_checkpoint(settings).read() == stored.note

    def test_proofs_from_the_store_equal_proofs_from_the_leaves(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        sizes = [self.grow(ledger, f"d{n}", n) for n in (2, 0, 4, 6)]
        leaves = self.leaf_hashes(raw)

        with ledger.tree.reading() as c:
            for size in sizes:
                for index in range(size):
                    assert ledger.tree.inclusion_proof(c, index, size) == merkle.inclusion_proof(
                        leaves[:size], index
                    )
            for old in sizes:
                for new in sizes:
                    if old <= new:
                        assert ledger.tree.consistency_proof(
                            c, old, new
                        ) == merkle.consistency_proof(leaves[:new], old)

    def test_verify_passes_on_an_intact_log(self, ledger: Ledger, settings: Settings) -> None:
        for n in range(3):
            self.grow(ledger, f"d{n}", n + 1)

        report = self.verify(ledger, published_checkpoint(settings).read() or "")

        assert report.intact, report.problems
        assert (report.leaves, report.checkpoints) == (9, 3)

    def test_verify_catches_a_deleted_tail(self, ledger: Ledger, raw: RawAccess) -> None:
        self.grow(ledger, "credit", 3)
        for table in ("ledger_events", "ledger_leaves"):
            raw.execute(
                f"DELETE FROM {table} WHERE originator_version = 4", bypass_append_only=True
            )

        report = self.verify(ledger)

        assert report.problems == [
            "checkpoint of 4 leaves was signed but the log has 3: its tail was deleted or "
            "the database was rolled back"
        ]

    def test_verify_catches_an_old_event_rewritten_with_a_valid_signature(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 2)
        ledger.checkpointer.cut()
        envelope = Envelope.from_json(raw.state(dataset_id, 2))
        payload = json.loads(envelope.payload)
        payload["state"]["row_count"] = 1
        forged = sign_envelope(
            json.dumps(payload).encode(), envelope.payload_type, ledger.keystore.event_signer()
        ).to_json()
        raw.set_state(dataset_id, 2, forged)
        raw.execute(
            "UPDATE ledger_leaves SET leaf_hash = ? WHERE leaf_index = 1",
            (merkle.leaf_hash(forged),),
            bypass_append_only=True,
        )

        report = self.verify(ledger)

        assert report.problems == [
            "stored subtree hash (level 1, index 0) over leaves [0, 2) differs from the hash of "
            "its leaves",
            "checkpoint 3: the log's leaves give another root",
        ]

    def test_verify_catches_a_rollback_to_a_backup_after_a_published_checkpoint(
        self, ledger: Ledger, raw: RawAccess, settings: Settings
    ) -> None:
        self.grow(ledger, "credit", 1)
        self.grow(ledger, "fraud", 2)
        published = published_checkpoint(settings).read()
        assert published is not None
        self.restore_backup_of_size(raw, 2)

        report = self.verify(ledger, published)

        assert report.problems == [
            "checkpoint of 5 leaves was signed but the log has 2: its tail was deleted or "
            "the database was rolled back"
        ]
        with pytest.raises(InconsistentLogError, match="published but the log has 2"):
            ledger.checkpointer.cut()

    def restore_backup_of_size(self, raw: RawAccess, size: int) -> None:
        """Leave the database as a backup taken when the log had ``size`` leaves."""
        later_events = raw.execute(
            "SELECT originator_id, originator_version FROM ledger_leaves WHERE leaf_index >= ?",
            (size,),
        )
        for originator_id, version in later_events:
            raw.execute(
                "DELETE FROM ledger_events WHERE originator_id = ? AND originator_version = ?",
                (originator_id, version),
                bypass_append_only=True,
            )
        for statement in (
            "DELETE FROM ledger_leaves WHERE leaf_index >= ?",
            "DELETE FROM ledger_tree_nodes WHERE (node_index + 1) * (1 << level) > ?",
            "DELETE FROM ledger_checkpoints WHERE tree_size > ?",
        ):
            raw.execute(statement, (size,), bypass_append_only=True)

    def test_refuses_to_sign_after_the_stored_tree_changed_and_raises_an_alarm(
        self, ledger: Ledger, raw: RawAccess, caplog: pytest.LogCaptureFixture
    ) -> None:
        self.grow(ledger, "credit", 3)
        raw.execute(
            "UPDATE ledger_tree_nodes SET hash = ? WHERE level = 2 AND node_index = 0",
            (b"\x00" * 32,),
            bypass_append_only=True,
        )
        add_versions(ledger.application, "fraud", 1)

        with (
            caplog.at_level(logging.CRITICAL, logger="govledger.alarm"),
            pytest.raises(InconsistentLogError, match="no longer has the root signed at 4"),
        ):
            ledger.checkpointer.cut()
        assert "refusing to sign a checkpoint" in caplog.text
        with ledger.tree.reading() as c:
            assert [cp.size for cp in ledger.tree.checkpoints(c)] == [4]

    def test_refuses_to_sign_a_log_shorter_than_what_it_signed(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        self.grow(ledger, "credit", 3)
        raw.execute("DELETE FROM ledger_leaves WHERE leaf_index = 3", bypass_append_only=True)

        with pytest.raises(InconsistentLogError, match="has 3 leaves but a checkpoint of 4"):
            ledger.checkpointer.cut()

    def test_cuts_checkpoints_by_itself_every_n_leaves(
        self, settings: Settings, database: Database
    ) -> None:
        frequent = open_ledger(settings.model_copy(update={"checkpoint_every_leaves": 3}))
        try:
            add_versions(frequent.application, "credit", 7)
            with frequent.tree.reading() as c:
                sizes = [cp.size for cp in frequent.tree.checkpoints(c)]
        finally:
            frequent.close()

        assert sizes == [3, 6]

    def test_an_offline_proof_verifies_with_only_the_vkey(
        self, ledger: Ledger, raw: RawAccess, settings: Settings
    ) -> None:
        dataset_id = add_versions(ledger.application, "credit", 4)
        checkpoint = ledger.checkpointer.cut()
        assert checkpoint is not None
        entry = ledger.recorder.leaf_of(dataset_id, 3)
        assert entry is not None
        assert entry.stored is not None
        with ledger.tree.reading() as c:
            hashes = ledger.tree.inclusion_proof(c, entry.leaf_index, checkpoint.size)
        proof = TlogProof(entry.leaf_index, tuple(hashes), checkpoint.note).to_text()
        vkey = log_vkey(settings, ledger.keystore)

        verified = verify_entry(proof=proof, entry=entry.stored.state, vkey=vkey)

        assert (verified.index, verified.checkpoint.size) == (2, 5)
        with pytest.raises(Exception, match="root"):
            verify_entry(proof=proof, entry=raw.state(dataset_id, 2), vkey=vkey)

    # Finding 3: every stored subtree hash and checkpoint row is verified.

    def test_finding_3_a_changed_subtree_hash_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: a rewritten ``ledger_tree_nodes`` row is a problem, not an intact log."""
        self.grow(ledger, "credit", 3)
        raw.execute(
            "UPDATE ledger_tree_nodes SET hash = ? WHERE level = 1 AND node_index = 0",
            (b"\x07" * 32,),
            bypass_append_only=True,
        )

        report = self.verify(ledger)

        assert report.problems == [
            "stored subtree hash (level 1, index 0) over leaves [0, 2) differs from the hash of "
            "its leaves"
        ]

    def test_finding_3_a_deleted_subtree_row_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: a deleted ``ledger_tree_nodes`` row (proofs would fail) is a problem."""
        self.grow(ledger, "credit", 3)
        raw.execute(
            "DELETE FROM ledger_tree_nodes WHERE level = 2 AND node_index = 0",
            bypass_append_only=True,
        )

        report = self.verify(ledger)

        assert report.problems == [
            "stored subtree (level 2, index 0) over leaves [0, 4) is missing: proofs up to "
            "checkpoint 4 cannot be served"
        ]

    def test_finding_3_a_deleted_newest_checkpoint_row_is_reported(
        self, ledger: Ledger, raw: RawAccess, settings: Settings
    ) -> None:
        """Finding 3: the newest checkpoint row deleted; the published copy still shows it."""
        self.grow(ledger, "credit", 1)
        self.grow(ledger, "fraud", 2)
        published = published_checkpoint(settings).read()
        assert published is not None
        raw.execute("DELETE FROM ledger_checkpoints WHERE tree_size = 5", bypass_append_only=True)

        report = self.verify(ledger, published)

        assert (
            "published checkpoint 5 is not in ledger_checkpoints: a checkpoint row was deleted"
            in report.problems
        )
        assert (
            "stored subtree (level 1, index 1) over leaves [2, 4) lies beyond the latest "
            "stored checkpoint (2 leaves): a checkpoint row was deleted or the row was forged"
            in report.problems
        )

    def test_finding_3_a_changed_checkpoint_time_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: ``signed_at`` is checked against the time the log key signed."""
        self.grow(ledger, "credit", 3)
        raw.execute(
            "UPDATE ledger_checkpoints SET signed_at = ? WHERE tree_size = 4",
            ("2001-01-01T00:00:00+00:00",),
            bypass_append_only=True,
        )

        report = self.verify(ledger)

        assert len(report.problems) == 1, report.problems
        assert report.problems[0].startswith(
            "checkpoint 4: signed_at 2001-01-01T00:00:00+00:00 is not the time the log key signed"
        )

    def test_finding_3_a_checkpoint_carries_its_time_signed_by_the_log_key(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: the checkpoint time is a tlog-cosignature timestamp, not an unsigned fact."""
        self.grow(ledger, "credit", 3)
        (row,) = raw.execute("SELECT note, signed_at FROM ledger_checkpoints")
        note, signed_at = str(row[0]), row[1]

        signed = checkpoint_time(note, [ledger.log_verifier()])

        assert signed is not None
        stored = signed_at if isinstance(signed_at, datetime) else datetime.fromisoformat(signed_at)
        assert int(stored.timestamp()) == signed

    # Finding 6 (second half): gaps and malformed rows are reported, never raised.

    def test_finding_6_a_leaf_missing_before_a_block_boundary_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 6: a gap at a block boundary (blocks of 4 here) is a problem, not a crash."""
        self.grow(ledger, "credit", 9)
        raw.execute("DELETE FROM ledger_leaves WHERE leaf_index = 3", bypass_append_only=True)

        report = self.verify(ledger, block_size=4)

        assert report.problems[0] == "leaf 3 is missing: the log is not dense"
        assert "checkpoint 10 cannot be checked: leaf 3 is missing" in report.problems

    def test_finding_6_a_leaf_missing_in_the_last_block_does_not_skip_the_checkpoint(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 6: a gap in the last block used to skip the checkpoint at the final size."""
        self.grow(ledger, "credit", 5)
        raw.execute("DELETE FROM ledger_leaves WHERE leaf_index = 4", bypass_append_only=True)

        report = self.verify(ledger, block_size=4)

        assert report.problems == [
            "leaf 4 is missing: the log is not dense",
            "checkpoint 6 cannot be checked: leaf 4 is missing",
        ]

    # Finding 4: checkpoint checks what it signs over against data that can disagree.

    def test_finding_4_checkpoint_refuses_an_old_event_rewritten_and_re_signed(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 4: a checkpointed event re-signed with the real key, leaf hash updated."""
        dataset_id = add_versions(ledger.application, "credit", 2)
        ledger.checkpointer.cut()
        self.rewrite_and_re_sign(ledger, raw, dataset_id, 2, leaf_index=1)
        add_versions(ledger.application, "fraud", 1)

        with pytest.raises(InconsistentLogError, match="no longer give the root signed at 3"):
            ledger.checkpointer.cut()
        with ledger.tree.reading() as c:
            assert [cp.size for cp in ledger.tree.checkpoints(c)] == [3]

    def test_finding_4_checkpoint_refuses_a_new_leaf_that_is_not_its_envelope(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 4: the new range's leaf hashes are recomputed from the stored envelopes."""
        dataset_id = add_versions(ledger.application, "credit", 2)
        raw.set_state(dataset_id, 2, raw.state(dataset_id, 2).replace(b"{", b"{ ", 1))

        with pytest.raises(InconsistentLogError, match="leaf 1 is not the hash of its envelope"):
            ledger.checkpointer.cut()

    def test_finding_4_automatic_checkpoints_check_the_new_envelopes_too(
        self, settings: Settings, database: Database, raw: RawAccess
    ) -> None:
        """Finding 4: the cheap cut after appends still refuses a leaf that is not its envelope."""
        frequent = open_ledger(settings.model_copy(update={"checkpoint_every_leaves": 3}))
        try:
            dataset_id = add_versions(frequent.application, "credit", 1)
            raw.set_state(dataset_id, 1, raw.state(dataset_id, 1).replace(b"{", b"{ ", 1))
            add_versions(frequent.application, "fraud", 0)
            with frequent.tree.reading() as c:
                sizes = [cp.size for cp in frequent.tree.checkpoints(c)]
        finally:
            frequent.close()

        assert sizes == []

    def test_finding_3_checkpoint_refuses_to_sign_after_the_newest_row_was_deleted(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: subtrees stored beyond the newest row show a deleted checkpoint row."""
        self.grow(ledger, "credit", 1)
        self.grow(ledger, "fraud", 2)
        raw.execute("DELETE FROM ledger_checkpoints WHERE tree_size = 5", bypass_append_only=True)
        published_checkpoint(ledger.settings).path.unlink()
        add_versions(ledger.application, "risk", 0)

        with pytest.raises(InconsistentLogError, match="a checkpoint row was deleted"):
            ledger.checkpointer.cut(recheck=False)

    def test_finding_3_checkpoint_refuses_when_the_published_checkpoint_is_not_stored(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 3: the published copy names a checkpoint the table no longer holds."""
        self.grow(ledger, "credit", 3)
        add_versions(ledger.application, "fraud", 0)
        ledger.checkpointer.cut()
        raw.execute("DELETE FROM ledger_checkpoints WHERE tree_size = 5", bypass_append_only=True)

        with pytest.raises(InconsistentLogError, match="published checkpoint 5 is not stored"):
            ledger.checkpointer.cut(recheck=False)

    def test_finding_14_a_different_tree_published_at_the_same_size_raises_the_alarm(
        self, ledger: Ledger, settings: Settings, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Finding 14: publication never replaces a tree of the same size with another root."""
        self.grow(ledger, "credit", 1)
        add_versions(ledger.application, "fraud", 1)
        log_signer = ledger.keystore.log_signer()
        rival = sign_checkpoint(
            Checkpoint(settings.log_origin, 4, b"\x03" * 32), settings.log_origin, log_signer
        )
        published = RivalPublishedLate(published_checkpoint(settings).path, rival)
        checkpointer = Checkpointer(
            ledger.tree, origin=settings.log_origin, signer=lambda: log_signer, published=published
        )

        with (
            caplog.at_level(logging.CRITICAL, logger="govledger.alarm"),
            pytest.raises(InconsistentLogError, match="signed but not published"),
        ):
            checkpointer.cut()
        assert "another root" in caplog.text
        assert published.read() == rival

    # Finding 16: a timer signs the tail while writers idle.

    def test_finding_16_a_timer_signs_a_tail_another_writer_left_idle(
        self, settings: Settings, database: Database
    ) -> None:
        """Finding 16: automatic checkpoints were only considered on an append."""
        writer, timer = open_ledger(settings), open_ledger(settings)
        try:
            add_versions(writer.application, "credit", 2)  # the policy cuts nothing yet

            first = timer.checkpointer.tick()
            idle = timer.checkpointer.tick()
        finally:
            writer.close()
            timer.close()

        assert first is not None
        assert first.size == 3
        assert idle is None

    def rewrite_and_re_sign(
        self, ledger: Ledger, raw: RawAccess, dataset_id: UUID, version: int, *, leaf_index: int
    ) -> None:
        envelope = Envelope.from_json(raw.state(dataset_id, version))
        payload = json.loads(envelope.payload)
        payload["state"]["row_count"] = 1
        forged = sign_envelope(
            json.dumps(payload).encode(), envelope.payload_type, ledger.keystore.event_signer()
        ).to_json()
        raw.set_state(dataset_id, version, forged)
        raw.execute(
            "UPDATE ledger_leaves SET leaf_hash = ? WHERE leaf_index = ?",
            (merkle.leaf_hash(forged), leaf_index),
            bypass_append_only=True,
        )


class RivalPublishedLate(CheckpointFile):
    """A publisher of another tree writes between a cut's checks and its publication."""

    def __init__(self, path: Path, rival: str) -> None:
        super().__init__(path)
        self.rival: str | None = rival

    def read(self) -> str | None:
        rival, self.rival = self.rival, None
        if rival is None:
            return super().read()
        super().write(rival)
        return None  # what the cut's check saw, just before


class TestTransparencyLogOnSQLite(TransparencyLogContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def test_finding_6_a_type_confused_leaf_hash_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 6: text where the leaf hash bytes belong (only SQLite holds it) is reported."""
        self.grow(ledger, "credit", 3)
        raw.execute(
            "UPDATE ledger_leaves SET leaf_hash = ? WHERE leaf_index = 2",
            ("x" * 32,),
            bypass_append_only=True,
        )

        report = self.verify(ledger)

        assert report.problems[0] == "leaf 2: leaf_hash is not 32 bytes"

    def test_finding_6_checkpoint_refuses_a_type_confused_checkpoint_row(
        self, ledger: Ledger, raw: RawAccess, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Finding 6: text where the root hash bytes belong is an integrity failure, not a crash."""
        self.grow(ledger, "credit", 3)
        raw.execute(
            "UPDATE ledger_checkpoints SET root_hash = ? WHERE tree_size = 4",
            ("r" * 32,),
            bypass_append_only=True,
        )

        with (
            caplog.at_level(logging.CRITICAL, logger="govledger.alarm"),
            pytest.raises(InconsistentLogError, match="checkpoint row 4: root_hash is not 32"),
        ):
            ledger.checkpointer.cut()
        assert "refusing to sign a checkpoint" in caplog.text

    def test_finding_6_checkpoint_refuses_a_type_confused_leaf_on_the_signed_root_path(
        self, ledger: Ledger, raw: RawAccess, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Finding 6: the cheap cut reads leaf 2 to rebuild the root signed at 3: no TypeError."""
        add_versions(ledger.application, "credit", 2)
        ledger.checkpointer.cut()
        raw.execute(
            "UPDATE ledger_leaves SET leaf_hash = ? WHERE leaf_index = 2",
            ("x" * 32,),
            bypass_append_only=True,
        )
        add_versions(ledger.application, "fraud", 0)

        with (
            caplog.at_level(logging.CRITICAL, logger="govledger.alarm"),
            pytest.raises(InconsistentLogError, match="leaf 2 is not a 32-byte hash"),
        ):
            ledger.checkpointer.cut(recheck=False)
        assert "refusing to sign a checkpoint: leaf 2" in caplog.text


class TestTransparencyLogOnPostgres(TransparencyLogContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
