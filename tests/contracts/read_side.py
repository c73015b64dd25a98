"""The contract of the read side's storage: what a projection writes and a query reads back.

``InMemoryReadSide`` (the reference the read models' unit tests run on) and the SQL read side
on SQLite and PostgreSQL pass the same tests. A subclass provides ``apply_history``: apply
``HISTORY`` (one list of operations per leaf) in batches of ``batch`` leaves, return the view.
The SQL side runs it with several batch sizes: versions are cut per event, never per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from projections.read_state import Edge, Entry, EntryFilter, ReadState, ReadView

Operation = Callable[[ReadState], None]


def _put(kind: str, key: str, body: dict[str, Any], scope: str = "") -> Operation:
    return lambda state: state.put(kind, key, body, scope=scope)


def _check_own_write(state: ReadState) -> None:
    """Reads see the changes made before them, in this batch or earlier ones."""
    assert state.get("doc", "a") == {"n": 2}
    state.put("seen", "a", {"saw": state.get("doc", "a")})


HISTORY: list[tuple[str, list[Operation]]] = [
    # leaf 0
    ("2026-03-01T09:00:00.000000Z", [_put("doc", "a", {"n": 1}, "m1"), _put("doc", "b", {"n": 1})]),
    # leaf 1: a changes; an edge and an entry
    (
        "2026-03-01T10:00:00.000000Z",
        [
            _put("doc", "a", {"n": 2}),
            lambda s: s.link(Edge("v1", "used", "d1")),
            lambda s: s.append(Entry("timeline", "m1", "ann", {"what": "first"})),
        ],
    ),
    # leaf 2: an identical put makes no version; a read of this batch's own write
    ("2026-03-01T09:30:00.000000Z", [_put("doc", "a", {"n": 2}), _check_own_write]),
    # leaf 3: b is deleted; the edge again (kept at its first leaf); two entries
    (
        "2026-03-01T11:00:00.000000Z",
        [
            lambda s: s.delete("doc", "b"),
            lambda s: s.link(Edge("v1", "used", "d1")),
            lambda s: s.link(Edge("v2", "derived_from", "v1")),
            lambda s: s.append(Entry("timeline", "m1", "bob", {"what": "second"})),
            lambda s: s.append(Entry("timeline", "m2", "ann", {"what": "third"})),
        ],
    ),
    # leaf 4: two puts in one event leave one version; put then delete leaves none
    (
        "2026-03-01T12:00:00.000000Z",
        [
            _put("doc", "a", {"n": 3}),
            _put("doc", "a", {"n": 4}),
            _put("doc", "c", {"n": 1}),
            lambda s: s.delete("doc", "c"),
        ],
    ),
    # leaf 5: b comes back
    ("2026-03-01T13:00:00.000000Z", [_put("doc", "b", {"n": 9})]),
]


class ReadSideContract:
    """What every read side store must do; subclasses provide ``apply_history``."""

    batch = 1

    @pytest.fixture
    def view(self) -> ReadView:
        return self.apply_history(HISTORY, self.batch)

    def apply_history(self, history: list[tuple[str, list[Operation]]], batch: int) -> ReadView:
        raise NotImplementedError("the contract's subclass applies the history")

    def body(self, view: ReadView, key: str, as_of: int) -> Any:
        found = view.document("doc", key, as_of)
        return None if found is None else dict(found.body)

    def test_a_document_has_the_body_valid_at_each_log_size(self, view: ReadView) -> None:
        assert [self.body(view, "a", size) for size in range(7)] == [
            None,
            {"n": 1},
            {"n": 2},
            {"n": 2},
            {"n": 2},
            {"n": 4},
            {"n": 4},
        ]

    def test_a_deleted_document_is_gone_from_its_deletion_until_it_is_put_again(
        self, view: ReadView
    ) -> None:
        assert [self.body(view, "b", size) for size in range(7)] == [
            None,
            {"n": 1},
            {"n": 1},
            {"n": 1},
            None,
            None,
            {"n": 9},
        ]

    def test_a_document_put_and_deleted_in_one_event_never_shows(self, view: ReadView) -> None:
        assert all(view.document("doc", "c", size) is None for size in range(7))

    def test_versions_are_cut_per_event_with_their_validity(self, view: ReadView) -> None:
        version = view.document("doc", "a", 3)
        assert version is not None
        assert (version.valid_from, version.valid_to, version.scope) == (2, 5, "m1")
        latest = view.document("doc", "a", 6)
        assert latest is not None
        assert (latest.valid_from, latest.valid_to) == (5, None)

    def test_documents_lists_those_valid_at_a_size_and_filters_by_scope(
        self, view: ReadView
    ) -> None:
        assert [(d.key, dict(d.body)) for d in view.documents("doc", 3)] == [
            ("a", {"n": 2}),
            ("b", {"n": 1}),
        ]
        assert [d.key for d in view.documents("doc", 4)] == ["a"]
        assert [d.key for d in view.documents("doc", 6)] == ["a", "b"]
        assert [d.key for d in view.documents("doc", 6, scope="m1")] == ["a"]
        assert view.documents("doc", 0) == []

    def test_documents_are_paged_by_key_and_counted(self, view: ReadView) -> None:
        assert [d.key for d in view.documents("doc", 6, limit=1)] == ["a"]
        assert [d.key for d in view.documents("doc", 6, limit=1, offset=1)] == ["b"]
        assert [d.key for d in view.documents("doc", 6, offset=1)] == ["b"]
        assert view.documents("doc", 6, limit=5, offset=2) == []
        assert view.count_documents("doc", 6) == 2
        assert view.count_documents("doc", 4) == 1
        assert view.count_documents("doc", 6, scope="m1") == 1
        assert view.count_documents("doc", 0) == 0

    def test_documents_by_keys_gives_those_valid_at_a_size(self, view: ReadView) -> None:
        found = view.documents_by_keys("doc", ["a", "b", "c", "nope"], 4)
        assert {key: dict(version.body) for key, version in found.items()} == {"a": {"n": 2}}
        found = view.documents_by_keys("doc", ["a", "b"], 6)
        assert {key: dict(version.body) for key, version in found.items()} == {
            "a": {"n": 4},
            "b": {"n": 9},
        }
        assert view.documents_by_keys("doc", [], 6) == {}

    def test_a_session_reads_the_same_as_single_queries(self, view: ReadView) -> None:
        with view.session():
            assert self.body(view, "a", 3) == {"n": 2}
            assert [d.key for d in view.documents("doc", 6)] == ["a", "b"]
            assert view.size() == 6

    def test_reads_while_projecting_see_earlier_writes(self, view: ReadView) -> None:
        seen = view.document("seen", "a", 6)
        assert seen is not None
        assert dict(seen.body) == {"saw": {"n": 2}}

    def test_an_edge_is_visible_from_the_leaf_that_first_added_it(self, view: ReadView) -> None:
        assert view.edges(["v1"], "upstream", 1) == []
        upstream = view.edges(["v1"], "upstream", 6)
        assert [(s.edge, s.leaf_index) for s in upstream] == [(Edge("v1", "used", "d1"), 1)]
        downstream = view.edges(["v1", "d1"], "downstream", 6)
        assert [(s.edge.source, s.leaf_index) for s in downstream] == [("v1", 1), ("v2", 3)]
        assert [s.edge.source for s in view.edges(["v1", "d1"], "downstream", 3)] == ["v1"]

    def test_entries_are_filtered_paged_and_in_leaf_order(self, view: ReadView) -> None:
        every = view.entries(EntryFilter("timeline"), 6)
        assert [(s.entry.body["what"], s.leaf_index) for s in every] == [
            ("first", 1),
            ("second", 3),
            ("third", 3),
        ]
        assert every[0].recorded_at == "2026-03-01T10:00:00.000000Z"
        by_subject = view.entries(EntryFilter("timeline", subject="m1"), 6)
        assert [s.entry.actor for s in by_subject] == ["ann", "bob"]
        by_actor = view.entries(EntryFilter("timeline", actor="ann"), 6)
        assert [s.entry.subject for s in by_actor] == ["m1", "m2"]
        page = view.entries(EntryFilter("timeline", limit=1, offset=1), 6)
        assert [s.entry.body["what"] for s in page] == ["second"]
        assert view.entries(EntryFilter("timeline"), 1) == []
        window = EntryFilter(
            "timeline", since="2026-03-01T10:30:00.000000Z", until="2026-03-01T11:00:00.000000Z"
        )
        assert [s.entry.body["what"] for s in view.entries(window, 6)] == ["second", "third"]

    def test_a_time_resolves_to_the_prefix_recorded_by_then(self, view: ReadView) -> None:
        assert view.size_at("2026-03-01T08:00:00.000000Z") == 0
        assert view.size_at("2026-03-01T09:00:00.000000Z") == 1
        # leaf 2 was stamped earlier than leaf 1: a time resolves by the running maximum.
        assert view.size_at("2026-03-01T09:45:00.000000Z") == 1
        assert view.size_at("2026-03-01T10:00:00.000000Z") == 3
        assert view.size_at("2030-01-01T00:00:00.000000Z") == 6
        assert view.size() == 6
