"""Full verification of a signed store, against an in-memory LogSource."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.encoding.canonical import canonical_json
from ledger.keys.ed25519 import Keyring, Signer
from ledger.merkle import leaf_hash
from ledger.store.log_entries import LogEntry, LogSource
from ledger.store.sealing import SealedEvent, Sealer
from ledger.store.signed_event import envelope_digest
from ledger.verify.events import Problem, Report, verify_store

TOPIC = "domain.aggregates.model:Model.Changed"


class FakeLogSource:
    """Leaves joined to their events, and events that no leaf names, held in lists."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self.unlogged: list[StoredEvent] = []
        self.entry_pages: list[tuple[int, int]] = []
        self.unlogged_pages: list[tuple[int, int]] = []

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        self.entry_pages.append((start, limit))
        ordered = sorted(self.entries, key=lambda entry: entry.leaf_index)
        return [entry for entry in ordered if entry.leaf_index >= start][:limit]

    def count_events(self) -> int:
        return sum(e.stored is not None for e in self.entries) + len(self.unlogged)

    def select_unlogged_events(self, offset: int, limit: int) -> Sequence[StoredEvent]:
        self.unlogged_pages.append((offset, limit))
        return self.unlogged[offset : offset + limit]

    # Writing and tampering, as a test (or an attacker with database access) would.

    def append(self, signer: Signer, *events: tuple[UUID, int]) -> None:
        """Seal events of (aggregate id, version) and store them with their leaves."""
        sealed = Sealer(lambda: signer).seal(
            [
                StoredEvent(
                    originator_id=aggregate_id,
                    originator_version=version,
                    topic=TOPIC,
                    state=canonical_json({"version": version}),  # as the mapper writes it
                )
                for aggregate_id, version in events
            ],
            previous_digest=self.previous_digest,
        )
        first_index = len(self.entries)
        self.entries.extend(
            LogEntry(
                leaf_index=first_index + position,
                leaf_hash=s.leaf_hash,
                originator_id=s.stored.originator_id,  # type: ignore[arg-type]
                originator_version=s.stored.originator_version,
                stored=s.stored,
            )
            for position, s in enumerate(sealed)
        )

    def previous_digest(self, originator_id: UUID | str, version: int) -> str | None:
        for entry in self.entries:
            if (entry.originator_id, entry.originator_version) == (originator_id, version):
                return envelope_digest(entry.stored.state) if entry.stored else None
        return None

    def entry(self, leaf_index: int) -> LogEntry:
        (found,) = [e for e in self.entries if e.leaf_index == leaf_index]
        return found

    def replace(self, leaf_index: int, **changes: object) -> None:
        self.entries = [
            dataclasses.replace(e, **changes) if e.leaf_index == leaf_index else e  # type: ignore[arg-type]
            for e in self.entries
        ]

    def replace_state(self, leaf_index: int, state: bytes) -> None:
        stored = self.entry(leaf_index).stored
        assert stored is not None
        self.replace(leaf_index, stored=dataclasses.replace(stored, state=state))

    def remove_leaf(self, leaf_index: int) -> None:
        self.entries = [e for e in self.entries if e.leaf_index != leaf_index]


def envelope_document(state: bytes) -> dict[str, object]:
    document: dict[str, object] = json.loads(state)
    return document


def problems_at(report: Report, leaf_index: int | None) -> list[Problem]:
    return [p for p in report.problems if p.leaf_index == leaf_index]


@pytest.fixture
def signer() -> Signer:
    return Signer.generate()


@pytest.fixture
def keyring(signer: Signer) -> Keyring:
    return Keyring([signer.public_key])


@pytest.fixture
def model() -> UUID:
    return uuid4()


@pytest.fixture
def dataset() -> UUID:
    return uuid4()


@pytest.fixture
def source(signer: Signer, model: UUID, dataset: UUID) -> FakeLogSource:
    """Leaves 0..5: model versions 1..4 interleaved with dataset versions 1..2."""
    store = FakeLogSource()
    store.append(signer, (model, 1), (dataset, 1), (model, 2))
    store.append(signer, (model, 3), (dataset, 2), (model, 4))
    return store


def test_the_fake_is_a_log_source(source: FakeLogSource) -> None:
    assert isinstance(source, LogSource)


def test_an_intact_store_verifies(source: FakeLogSource, keyring: Keyring) -> None:
    report = verify_store(source, keyring)

    assert report.problems == []
    assert report.intact


def test_counts_every_leaf(source: FakeLogSource, keyring: Keyring) -> None:
    assert verify_store(source, keyring).leaves == 6


def test_an_empty_store_verifies_with_no_leaves(keyring: Keyring) -> None:
    report = verify_store(FakeLogSource(), keyring)

    assert (report.intact, report.leaves, report.keyids) == (True, 0, set())


def test_reports_the_key_that_signed(source: FakeLogSource, signer: Signer) -> None:
    report = verify_store(source, Keyring([signer.public_key]))

    assert report.intact
    assert report.keyids == {signer.keyid}


def test_a_trusted_key_that_no_rotation_brought_in_is_reported(model: UUID, signer: Signer) -> None:
    """Keys have windows (finding 7): a second key signs only after a logged rotation."""
    second = Signer.generate()
    store = FakeLogSource()
    store.append(signer, (model, 1))
    store.append(second, (model, 2))

    report = verify_store(store, Keyring([signer.public_key, second.public_key]))

    assert [(p.leaf_index, p.version) for p in report.problems] == [(1, 2)]
    assert second.keyid in report.problems[0].reason


def test_reports_a_flipped_byte_in_a_stored_envelope_against_its_leaf(
    source: FakeLogSource, keyring: Keyring, signer: Signer, model: UUID
) -> None:
    state = bytearray(source.entry(2).stored.state)  # type: ignore[union-attr]
    position = state.index(b'"payload":"') + len(b'"payload":"') + 12
    state[position] = ord("A") if state[position] != ord("A") else ord("B")
    source.replace_state(2, bytes(state))

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(2, str(model), 2, "leaf hash does not match the stored envelope"),
        Problem(2, str(model), 2, f"signature by {signer.keyid} does not verify"),
    ]


def test_reports_a_replaced_signature_even_when_the_leaf_was_rewritten_to_match(
    source: FakeLogSource, keyring: Keyring, signer: Signer, model: UUID
) -> None:
    document = envelope_document(source.entry(3).stored.state)  # type: ignore[union-attr]
    other = envelope_document(source.entry(0).stored.state)  # type: ignore[union-attr]
    document["signatures"] = other["signatures"]
    forged = json.dumps(document).encode()
    source.replace_state(3, forged)
    source.replace(3, leaf_hash=leaf_hash(forged))

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(3, str(model), 3, f"signature by {signer.keyid} does not verify")
    ]


def test_reports_an_event_removed_from_the_middle_of_a_history(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    source.remove_leaf(2)  # model version 2

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(3, str(model), 3, "leaves 2..2 are missing"),
        Problem(3, str(model), 3, "follows version 1 in the log; expected version 2"),
    ]


def test_reports_missing_first_events_of_a_history(
    source: FakeLogSource, keyring: Keyring, model: UUID, dataset: UUID
) -> None:
    source.remove_leaf(0)  # model version 1

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(1, str(dataset), 1, "leaves 0..0 are missing"),
        Problem(2, str(model), 2, "history starts at version 2: earlier events are missing"),
    ]


def test_reports_a_leaf_whose_event_row_is_missing(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    source.replace(2, stored=None)

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(2, str(model), 2, "the stored event this leaf names is missing")
    ]


def test_reports_two_events_of_one_history_with_their_states_swapped(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    second = source.entry(2).stored.state  # type: ignore[union-attr]
    third = source.entry(3).stored.state  # type: ignore[union-attr]
    source.replace_state(2, third)
    source.replace_state(3, second)

    report = verify_store(source, keyring)

    assert {(p.leaf_index, p.version) for p in report.problems} == {(2, 2), (3, 3)}
    assert any(
        f"signed payload is for aggregate {model} version 3" in p.reason
        and f"stored as aggregate {model} version 2" in p.reason
        for p in problems_at(report, 2)
    )
    assert any(
        f"signed payload is for aggregate {model} version 2" in p.reason
        and f"stored as aggregate {model} version 3" in p.reason
        for p in problems_at(report, 3)
    )


def test_reports_two_swapped_events_even_when_their_leaves_were_swapped_too(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    second, third = source.entry(2), source.entry(3)
    source.replace_state(2, third.stored.state)  # type: ignore[union-attr]
    source.replace_state(3, second.stored.state)  # type: ignore[union-attr]
    source.replace(2, leaf_hash=third.leaf_hash)
    source.replace(3, leaf_hash=second.leaf_hash)

    report = verify_store(source, keyring)

    assert [(p.leaf_index, p.version) for p in report.problems] == [(2, 2), (3, 3)]
    assert "signed payload is for aggregate" in report.problems[0].reason


def test_reports_an_event_signed_by_an_unregistered_key(
    source: FakeLogSource, keyring: Keyring, dataset: UUID
) -> None:
    stranger = Signer.generate()
    source.append(stranger, (dataset, 3))

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(6, str(dataset), 3, f"signed with unregistered key {stranger.keyid}")
    ]
    assert stranger.keyid not in report.keyids


def test_reports_an_event_row_that_no_leaf_names(
    source: FakeLogSource, keyring: Keyring, dataset: UUID
) -> None:
    orphan = StoredEvent(
        originator_id=dataset, originator_version=3, topic=TOPIC, state=b'{"version":3}'
    )
    source.unlogged.append(orphan)

    report = verify_store(source, keyring)

    assert report.problems == [Problem(None, str(dataset), 3, "stored event has no log leaf")]
    assert str(report.problems[0]).startswith("no leaf, aggregate")


def test_reports_a_chain_broken_by_a_re_signed_event(
    source: FakeLogSource, keyring: Keyring, signer: Signer, model: UUID
) -> None:
    # Re-signing version 2 with the right key and a fresh leaf still breaks version 3's prev.
    rewritten: list[SealedEvent] = Sealer(lambda: signer).seal(
        [
            StoredEvent(
                originator_id=model, originator_version=2, topic=TOPIC, state=b'{"version":99}'
            )
        ],
        previous_digest=source.previous_digest,
    )
    source.replace_state(2, rewritten[0].stored.state)
    source.replace(2, leaf_hash=rewritten[0].leaf_hash)

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(3, str(model), 3, "prev does not match the digest of the previous event")
    ]


def test_describes_a_problem_with_its_leaf_aggregate_and_version() -> None:
    problem = Problem(7, "agg", 2, "something is off")

    assert str(problem) == "leaf 7, aggregate agg version 2: something is off"


# Paging


def test_reads_leaves_in_pages_and_checks_chains_across_them(
    signer: Signer, keyring: Keyring, model: UUID
) -> None:
    store = FakeLogSource()
    store.append(signer, *[(model, version) for version in range(1, 9)])

    report = verify_store(store, keyring, page_size=3)

    assert (report.intact, report.leaves) == (True, 8)
    assert store.entry_pages == [(0, 3), (3, 3), (6, 3), (8, 3)]


def test_reports_a_broken_chain_across_a_page_boundary(
    signer: Signer, keyring: Keyring, model: UUID
) -> None:
    store = FakeLogSource()
    store.append(signer, *[(model, version) for version in range(1, 9)])
    store.remove_leaf(3)

    report = verify_store(store, keyring, page_size=3)

    assert report.leaves == 7
    assert report.problems == [
        Problem(4, str(model), 5, "leaves 3..3 are missing"),
        Problem(4, str(model), 5, "follows version 3 in the log; expected version 4"),
    ]


def test_reads_unlogged_events_in_pages_and_reports_each_once(keyring: Keyring) -> None:
    store = FakeLogSource()
    orphans = [
        StoredEvent(originator_id=uuid4(), originator_version=1, topic=TOPIC, state=b"{}")
        for _ in range(5)
    ]
    store.unlogged.extend(orphans)

    report = verify_store(store, keyring, page_size=2)

    assert [(p.aggregate_id, p.leaf_index) for p in report.problems] == [
        (str(o.originator_id), None) for o in orphans
    ]
    assert store.unlogged_pages == [(0, 2), (2, 2), (4, 2), (5, 2)]


def test_reports_a_second_leaf_for_an_event_that_already_has_one(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    duplicate = dataclasses.replace(source.entry(5), leaf_index=6)
    source.entries.append(duplicate)

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(6, str(model), 4, "follows version 4 in the log; expected version 5")
    ]


def test_refuses_a_page_size_below_one(source: FakeLogSource, keyring: Keyring) -> None:
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        verify_store(source, keyring, page_size=0)


# Strict reading (issue 8, findings 1, 2 and 6): malformed rows are problems, never exceptions


def test_finding_1_reports_a_leaf_and_event_whose_id_was_re_spelt(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    """Finding 1: hyphenated ids in both tables hide events from the app; verify names them."""
    stored = source.entry(5).stored
    assert stored is not None
    respelt = dataclasses.replace(stored, originator_id=str(model))
    source.replace(5, originator_id=str(model), stored=respelt)

    report = verify_store(source, keyring)

    assert [p.leaf_index for p in report.problems] == [5]
    assert "not in the spelling the application reads by" in report.problems[0].reason
    assert report.problems[0].aggregate_id == repr(str(model))  # the spelling as stored


def test_finding_2_reports_a_second_signature_even_with_its_leaf_hash_rewritten(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    """Finding 2: an extra signature and a matching new leaf hash change stored bytes keylessly."""
    document = envelope_document(source.entry(2).stored.state)  # type: ignore[union-attr]
    document["signatures"] = [*document["signatures"], {"keyid": "k", "sig": ""}]  # type: ignore[misc]
    forged = canonical_json(document)
    source.replace_state(2, forged)
    source.replace(2, leaf_hash=leaf_hash(forged))

    report = verify_store(source, keyring)

    assert report.problems == [
        Problem(2, str(model), 2, "envelope carries 2 signatures; a stored event has one")
    ]


def test_finding_2_reports_a_re_indented_envelope_even_with_its_leaf_hash_rewritten(
    source: FakeLogSource, keyring: Keyring, model: UUID
) -> None:
    """Finding 2: re-indenting keeps every signature valid but is not the stored form."""
    forged = json.dumps(envelope_document(source.entry(4).stored.state), indent=2).encode()  # type: ignore[union-attr]
    source.replace_state(4, forged)
    source.replace(4, leaf_hash=leaf_hash(forged))

    report = verify_store(source, keyring)

    assert [(p.leaf_index, p.version) for p in report.problems] == [(4, 2)]
    assert "not in its canonical form" in report.problems[0].reason


MALFORMED_LEAF_COLUMNS = [
    ("originator_id", "not-a-uuid", "stored aggregate id 'not-a-uuid' is not in the spelling"),
    ("originator_id", None, "stored aggregate id None is not in the spelling"),
    ("originator_id", b"\x00" * 16, "is not in the spelling the application reads by"),
    ("originator_version", "2x", "originator_version '2x' is not a positive integer"),
    ("originator_version", 2.0, "originator_version 2.0 is not a positive integer"),
    ("originator_version", None, "originator_version None is not a positive integer"),
    ("leaf_hash", "x" * 32, "leaf hash is str, not 32 bytes"),
    ("leaf_hash", b"x" * 31, "leaf hash is 31 bytes, not 32"),
    ("leaf_hash", None, "leaf hash is NoneType, not 32 bytes"),
]


@pytest.mark.parametrize(("column", "value", "reason"), MALFORMED_LEAF_COLUMNS)
def test_finding_6_reports_a_leaf_row_of_the_wrong_type_naming_the_leaf(
    source: FakeLogSource, keyring: Keyring, column: str, value: object, reason: str
) -> None:
    """Finding 6: a type-confused leaf column is a problem at that leaf, not a crash."""
    source.replace(3, **{column: value})  # model version 3

    report = verify_store(source, keyring)

    assert any(p.leaf_index == 3 and reason in p.reason for p in report.problems), report.problems
    # A leaf that names no readable event leaves a hole in the model's history, seen at leaf 5.
    assert {p.leaf_index for p in report.problems} <= {3, 5}
    assert report.leaves == 6


MALFORMED_EVENT_COLUMNS = [
    ("originator_id", "not-a-uuid", "stored aggregate id 'not-a-uuid' is not in the spelling"),
    ("originator_version", "2x", "originator_version '2x' is not a positive integer"),
    ("topic", 7, "topic 7 is not text"),
    ("state", "{}", "state is str, not bytes"),
    ("state", None, "state is NoneType, not bytes"),
    pytest.param("state", b"[" * 100_000, "malformed DSSE envelope: not JSON", id="nested"),
]


@pytest.mark.parametrize(("column", "value", "reason"), MALFORMED_EVENT_COLUMNS)
def test_finding_6_reports_an_event_row_of_the_wrong_type_naming_its_leaf(
    source: FakeLogSource, keyring: Keyring, column: str, value: object, reason: str
) -> None:
    """Finding 6: a type-confused event column is a problem at its leaf, not a crash."""
    stored = source.entry(3).stored
    assert stored is not None
    source.replace(3, stored=dataclasses.replace(stored, **{column: value}))

    report = verify_store(source, keyring)

    assert {p.leaf_index for p in report.problems} == {3}
    assert any(reason in p.reason for p in report.problems), report.problems


@pytest.mark.parametrize(
    ("column", "value"),
    [("originator_id", "not-a-uuid"), ("originator_version", "2x"), ("state", "{}")],
)
def test_finding_6_reports_a_malformed_event_row_that_no_leaf_names(
    keyring: Keyring, column: str, value: object
) -> None:
    """Finding 6: the unlogged-event report reads raw rows too; it names them, never raises."""
    store = FakeLogSource()
    orphan = StoredEvent(originator_id=uuid4(), originator_version=1, topic=TOPIC, state=b"{}")
    store.unlogged.append(dataclasses.replace(orphan, **{column: value}))

    report = verify_store(store, keyring)

    (problem,) = report.problems
    assert (problem.leaf_index, problem.reason) == (None, "stored event has no log leaf")


def test_describes_a_problem_whose_version_is_unreadable() -> None:
    problem = Problem(7, "not-a-uuid", None, "something is off")

    assert str(problem) == "leaf 7, aggregate not-a-uuid (version unreadable): something is off"


ROW_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from([b"[" * 5000, b"{}", b'{"payload":"","payloadType":"t","signatures":[]}']),
)
LEAF_COLUMNS = ("leaf_hash", "originator_id", "originator_version")
EVENT_COLUMNS = ("originator_id", "originator_version", "topic", "state")


@settings(max_examples=300, deadline=None)
@given(
    column=st.sampled_from([*LEAF_COLUMNS, *(f"event.{c}" for c in EVENT_COLUMNS)]),
    value=ROW_VALUES,
)
def test_finding_6_verify_never_raises_whatever_a_column_holds(column: str, value: object) -> None:
    """Finding 6: any value in any column of leaf 1 or its event is reported, never raised."""
    signer, model = Signer.generate(), uuid4()
    store = FakeLogSource()
    store.append(signer, (model, 1), (model, 2), (model, 3))
    original = store.entry(1)
    if column.startswith("event."):
        assert original.stored is not None
        stored = dataclasses.replace(original.stored, **{column.removeprefix("event."): value})
        store.replace(1, stored=stored)
    else:
        store.replace(1, **{column: value})
    changed = store.entry(1) != original

    report = verify_store(store, Keyring([signer.public_key]))

    assert report.leaves == 3
    if changed:
        assert any(p.leaf_index == 1 for p in report.problems), report.problems
    assert all(str(p).isprintable() for p in report.problems)
