"""Strict reading of stored events (issue 8, findings 1, 2 and 6), on SQLite and PostgreSQL.

Each test rewrites rows as a database superuser could, then checks that ``verify`` reports the
row and that the application, which reads through the same ``open_event``, refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from api.cli import main
from api.composition import Ledger
from api.settings import Settings
from domain.aggregates.dataset import Dataset
from domain.aggregates.principal import Principal
from domain.application import GovernanceApplication
from ledger.encoding.canonical import canonical_json
from ledger.encoding.dsse import EnvelopeSigner
from ledger.errors import VerificationError
from ledger.merkle import leaf_hash
from ledger.store.signed_event import PAYLOAD_TYPE
from ledger.verify.events import Problem, Report, verify_store
from tests.integration.raw_access import RawAccess

KEY_PEM = "-----BEGIN PUBLIC KEY-----\nnot checked by the aggregate\n-----END PUBLIC KEY-----\n"
KEYID = "sha256:" + "ab" * 32


def add_versions(application: GovernanceApplication, name: str, count: int) -> UUID:
    """Record dataset ``name`` and ``count`` versions, one transaction per event."""
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


def principal_with_a_revoked_key(application: GovernanceApplication) -> UUID:
    """Alice registered (v1), her key registered (v2), then revoked (v3)."""
    alice = Principal(name="alice", roles=["approver"], actor="admin")
    alice.register_key(keyid=KEYID, public_key_pem=KEY_PEM, actor="admin")
    application.save(alice)
    alice.revoke_key(keyid=KEYID, actor="admin")
    application.save(alice)
    return alice.id


def problems_of(report: Report, aggregate_id: UUID, version: int) -> list[str]:
    return [
        p.reason
        for p in report.problems
        if p.aggregate_id == str(aggregate_id) and p.version == version
    ]


def leaf_index_of(raw: RawAccess, aggregate_id: UUID, version: int) -> int:
    rows = raw.execute(
        "SELECT leaf_index FROM ledger_leaves WHERE originator_id = ? AND originator_version = ?",
        (raw.id_param(aggregate_id), version),
    )
    return int(rows[0][0])


def replace_envelope(raw: RawAccess, aggregate_id: UUID, version: int, state: bytes) -> None:
    """Store ``state`` for an event and rewrite its leaf hash to match, as an insider could."""
    raw.set_state(aggregate_id, version, state)
    raw.execute(
        "UPDATE ledger_leaves SET leaf_hash = ? WHERE originator_id = ? AND originator_version = ?",
        (leaf_hash(state), raw.id_param(aggregate_id), version),
        bypass_append_only=True,
    )


Govledger = Callable[..., tuple[int, str]]


@pytest.fixture
def govledger(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Govledger:
    """The command line run in this process on the test's ledger: args -> (status, stdout).

    An exception escaping ``main`` (the traceback finding 6 saw) fails the test.
    """
    monkeypatch.setenv("GOVLEDGER_HOME", str(settings.home))
    monkeypatch.setenv("GOVLEDGER_DATABASE_URL", settings.database_url)

    def run(*args: str) -> tuple[int, str]:
        status = main(list(args))
        return status, capsys.readouterr().out

    return run


class StrictReadingContract:
    """What every engine must do; subclasses provide ``database_url``."""

    def verify(self, ledger: Ledger, **options: int) -> Report:
        return verify_store(ledger.log, ledger.keyring(), **options)

    def assert_refused(self, ledger: Ledger, dataset_id: UUID, version: int, reason: str) -> None:
        """Verify names the row with ``reason``; the application refuses to read it."""
        assert any(reason in r for r in problems_of(self.verify(ledger), dataset_id, version))
        ledger.application.repository.cache = None  # read the rows, not a cached aggregate
        with pytest.raises(VerificationError, match=reason):
            ledger.application.get_dataset(dataset_id)

    def test_finding_2_an_added_signature_is_reported_and_refused(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 2: a second, bogus signature and a rewritten leaf hash, with no key."""
        dataset_id = add_versions(ledger.application, "credit", 2)
        envelope = json.loads(raw.state(dataset_id, 3))
        envelope["signatures"].append({"keyid": "sha256:" + "0" * 64, "sig": "AAAA"})
        replace_envelope(raw, dataset_id, 3, canonical_json(envelope))

        self.assert_refused(ledger, dataset_id, 3, "envelope carries 2 signatures")

    @pytest.mark.parametrize(
        "rewrite",
        [
            pytest.param(lambda e: json.dumps(e, indent=2).encode(), id="re-indented"),
            pytest.param(
                lambda e: json.dumps(dict(reversed(e.items())), separators=(",", ":")).encode(),
                id="members-reordered",
            ),
            pytest.param(
                lambda e: canonical_json(e).replace(b"application/", b"application\\/"),
                id="escaped-solidus",
            ),
        ],
    )
    def test_finding_2_a_re_encoded_envelope_is_reported_and_refused(
        self, ledger: Ledger, raw: RawAccess, rewrite: Callable[[dict[str, Any]], bytes]
    ) -> None:
        """Finding 2: the same signed content in other bytes (leaf hash rewritten to match)."""
        dataset_id = add_versions(ledger.application, "credit", 2)
        envelope = json.loads(raw.state(dataset_id, 2))
        replace_envelope(raw, dataset_id, 2, rewrite(envelope))

        self.assert_refused(ledger, dataset_id, 2, "envelope is not in its canonical form")

    def test_finding_2_a_non_canonical_payload_signed_with_the_real_key_is_refused(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 2: even the service key's signature does not make other bytes acceptable."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        envelope = json.loads(raw.state(dataset_id, 2))
        payload = json.loads(base64.b64decode(envelope["payload"]))
        spaced = json.dumps(payload).encode()  # same members, other spacing
        signer = ledger.keystore.event_signer()
        replace_envelope(raw, dataset_id, 2, EnvelopeSigner(signer, PAYLOAD_TYPE).sign(spaced))

        self.assert_refused(ledger, dataset_id, 2, "payload is not canonical JSON")

    def test_finding_6_a_deeply_nested_state_is_reported_not_a_crash(
        self, ledger: Ledger, raw: RawAccess, govledger: Govledger
    ) -> None:
        """Finding 6: bytes that overflow the JSON parser's recursion are a named problem."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        raw.set_state(dataset_id, 2, b"[" * 100_000)

        status, out = govledger("verify")

        assert status == 1
        assert f"leaf 1, aggregate {dataset_id} version 2: " in out
        assert "malformed DSSE envelope: not JSON" in out
        self.assert_refused(ledger, dataset_id, 2, "malformed DSSE envelope: not JSON")

    def test_proof_refuses_an_entry_the_application_would_refuse(
        self, ledger: Ledger, raw: RawAccess, govledger: Govledger, tmp_path: Path
    ) -> None:
        """``govledger proof`` reads through ``open_event`` too: no proof of a forged entry."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        envelope = json.loads(raw.state(dataset_id, 2))
        envelope["signatures"].append({"keyid": "sha256:" + "0" * 64, "sig": "AAAA"})
        replace_envelope(raw, dataset_id, 2, canonical_json(envelope))
        out = tmp_path / "proof"

        status, _ = govledger("proof", "--leaf", "1", "--out", str(out))

        assert status == 1
        assert not out.exists()

    def test_an_event_row_without_a_leaf_is_reported(self, ledger: Ledger, raw: RawAccess) -> None:
        """Build 8: the unlogged-event queries (count_events, select_unlogged_events) run."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        other_id = add_versions(ledger.application, "fraud", 0)
        state = raw.state(dataset_id, 2)
        topic = "domain.aggregates.dataset:Dataset.VersionAdded"
        for aggregate_id, version in ((dataset_id, 3), (other_id, 2)):
            raw.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (raw.id_param(aggregate_id), version, topic, state),
            )

        assert ledger.recorder.count_events() == 5
        report = self.verify(ledger, page_size=1)

        assert report.leaves == 3
        assert [p for p in report.problems if p.leaf_index is None] == [
            Problem(None, str(dataset_id), 3, "stored event has no log leaf"),
            Problem(None, str(other_id), 2, "stored event has no log leaf"),
        ]

    def test_unlogged_events_come_raw_in_insertion_order_in_pages(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Build 8: select_unlogged_events pages through rows no leaf names, as stored."""
        dataset_id = add_versions(ledger.application, "credit", 0)
        for version in (2, 3, 4):
            raw.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (raw.id_param(dataset_id), version, "t", b"x%d" % version),
            )

        pages = [ledger.recorder.select_unlogged_events(offset, 2) for offset in (0, 2, 4)]

        assert [[(e.originator_version, e.state) for e in page] for page in pages] == [
            [(2, b"x2"), (3, b"x3")],
            [(4, b"x4")],
            [],
        ]
        assert all(
            isinstance(e, StoredEvent) and str(UUID(str(e.originator_id))) == str(dataset_id)
            for page in pages
            for e in page
        )


class TestStrictReadingOnSQLite(StrictReadingContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def respell(self, raw: RawAccess, aggregate_id: UUID, version: int, spelling: object) -> None:
        for table in ("ledger_events", "ledger_leaves"):
            raw.execute(
                f"UPDATE {table} SET originator_id = ? "
                "WHERE originator_id = ? AND originator_version = ?",
                (spelling, aggregate_id.hex, version),
                bypass_append_only=True,
            )

    def test_finding_1_a_key_revocation_hidden_by_re_spelling_its_id_is_reported(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 1: hyphenated ids in both tables hid a KeyRevoked; verify now names it."""
        alice = principal_with_a_revoked_key(ledger.application)
        revoked_at = leaf_index_of(raw, alice, 3)
        self.respell(raw, alice, 3, str(alice))

        report = self.verify(ledger)

        assert [(p.leaf_index, p.aggregate_id) for p in report.problems] == [
            (revoked_at, repr(str(alice)))  # named by the spelling as stored
        ]
        assert "not in the spelling the application reads by" in report.problems[0].reason

    def test_finding_1_the_applications_other_read_path_refuses_a_re_spelt_id(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 1: reading notifications, the library would have normalised the id."""
        alice = principal_with_a_revoked_key(ledger.application)
        self.respell(raw, alice, 3, str(alice))
        application = ledger.application
        notifications = application.recorder.select_notifications(start=1, limit=10)

        with pytest.raises(VerificationError, match="not in the spelling the application reads"):
            [application.mapper.to_domain_event(n) for n in notifications]

    @pytest.mark.parametrize(
        ("spelling", "shown"),
        [
            pytest.param("{%s}", "'{%s}'", id="braced"),
            pytest.param("%s-UPPER", "'%s-UPPER'", id="not-a-uuid"),
        ],
    )
    def test_finding_6_a_non_uuid_id_in_both_tables_is_reported_naming_the_leaf(
        self, ledger: Ledger, raw: RawAccess, spelling: str, shown: str
    ) -> None:
        """Finding 6: a non-UUID id used to crash verify (``UUID(...)`` on the row)."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        self.respell(raw, dataset_id, 2, spelling % dataset_id.hex)

        report = self.verify(ledger)

        (problem,) = report.problems
        assert (problem.leaf_index, problem.aggregate_id, problem.version) == (
            1,
            shown % dataset_id.hex,
            2,
        )
        assert "not in the spelling the application reads by" in problem.reason

    @pytest.mark.parametrize(
        ("statement", "reason"),
        [
            pytest.param(
                "UPDATE ledger_events SET state = CAST(state AS TEXT) WHERE {row}",
                "state is str, not bytes",
                id="text-state",
            ),
            pytest.param(
                "UPDATE ledger_leaves SET leaf_hash = '{pad}' WHERE {row}",
                "leaf hash is str, not 32 bytes",
                id="text-leaf-hash",
            ),
            pytest.param(
                "UPDATE ledger_events SET topic = CAST(X'FF' AS TEXT) WHERE {row}",
                "topic '\\udcff' is not valid UTF-8",
                id="topic-not-utf8",
            ),
            pytest.param(
                "UPDATE ledger_events SET topic = x'00' WHERE {row}",
                "topic b'\\x00' is not text",
                id="topic-blob",
            ),
        ],
    )
    def test_finding_6_a_type_confused_column_is_reported_naming_the_leaf(
        self,
        ledger: Ledger,
        raw: RawAccess,
        govledger: Govledger,
        *,
        statement: str,
        reason: str,
    ) -> None:
        """Finding 6: SQLite stores any type in any column; verify names the row, exit 1."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        row = f"originator_id = '{dataset_id.hex}' AND originator_version = 2"
        raw.execute(statement.format(row=row, pad="x" * 32), bypass_append_only=True)

        report = self.verify(ledger)
        status, out = govledger("verify")

        assert any(p.leaf_index == 1 and reason in p.reason for p in report.problems), report
        assert status == 1
        assert f"leaf 1, aggregate {dataset_id} version 2: " in out

    @pytest.mark.parametrize(
        ("statement", "reason"),
        [
            pytest.param(
                "UPDATE ledger_events SET state = CAST(state AS TEXT) WHERE {row}",
                "state is str, not bytes",
                id="text-state",
            ),
            pytest.param(
                "UPDATE ledger_events SET topic = x'00' WHERE {row}",
                "topic b'\\x00' is not text",
                id="topic-blob",
            ),
            pytest.param(
                "UPDATE ledger_events SET originator_version = '2x' WHERE {row}",
                "originator_version '2x' is not a positive integer",
                id="version-2x",
            ),
        ],
    )
    def test_finding_6_the_application_refuses_a_type_confused_event_row(
        self, ledger: Ledger, raw: RawAccess, statement: str, reason: str
    ) -> None:
        """Finding 6: the application reads through the same checks as verify."""
        dataset_id = add_versions(ledger.application, "credit", 1)
        row = f"originator_id = '{dataset_id.hex}' AND originator_version = 2"
        raw.execute(statement.format(row=row), bypass_append_only=True)
        ledger.application.repository.cache = None  # read the rows, not a cached aggregate

        with pytest.raises(VerificationError, match=re.escape(reason)):
            ledger.application.get_dataset(dataset_id)

    def test_finding_6_a_version_2x_in_both_tables_is_reported_naming_the_leaf(
        self, ledger: Ledger, raw: RawAccess, govledger: Govledger
    ) -> None:
        """Finding 6: a version "2x" used to pass through as text, unchecked."""
        dataset_id = add_versions(ledger.application, "credit", 2)
        for table in ("ledger_events", "ledger_leaves"):
            raw.execute(
                f"UPDATE {table} SET originator_version = '2x' "
                "WHERE originator_id = ? AND originator_version = 2",
                (dataset_id.hex,),
                bypass_append_only=True,
            )

        report = self.verify(ledger)
        status, out = govledger("verify")

        assert any(
            p.leaf_index == 1 and "originator_version '2x' is not a positive integer" in p.reason
            for p in report.problems
        ), report.problems
        assert status == 1
        assert f"leaf 1, aggregate {dataset_id} (version unreadable): " in out
        status, out = govledger("verify", "--json")
        assert status == 1
        assert {"leaf_index": 1, "aggregate_id": str(dataset_id), "version": None}.items() <= (
            json.loads(out)["problems"][0].items()
        )


class TestStrictReadingOnPostgres(StrictReadingContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def test_finding_1_a_uuid_column_has_one_spelling_so_nothing_is_hidden(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        """Finding 1 on PostgreSQL: writing the hyphenated text stores the same uuid value."""
        alice = principal_with_a_revoked_key(ledger.application)
        for table in ("ledger_events", "ledger_leaves"):
            raw.execute(
                f"UPDATE {table} SET originator_id = ?::uuid "
                "WHERE originator_id = ? AND originator_version = 3",
                (str(alice).upper(), alice),
                bypass_append_only=True,
            )

        assert self.verify(ledger).intact
        ledger.application.repository.cache = None
        reread = ledger.application.repository.get(alice)
        assert isinstance(reread, Principal)
        assert reread.revoked_keys == {KEYID}
