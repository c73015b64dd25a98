"""The auditor's search index: sealed segments, explanations and refusals by model, actor, time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.auditor_views.search import render
from domain.errors import NotAuthorizedError, SegregationOfDutiesError
from domain.rules.roles import Role
from projections.catalog import CatalogProjection
from projections.errors import NotFoundError
from projections.search_index import SearchIndexProjection, search
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import IN_MEMORY_ENV, OTHER_ARTIFACT, Organisation, organisation_on, topics
from tests.unit.projections.read_side import project_in_memory
from tests.unit.test_refusal_subjects import record_v1_refusal

ROOT = "ab" * 32
SUMMARY = "sha256:" + "5" * 64


def segment_digest(sequence: int) -> str:
    return "sha256:" + f"{sequence:02x}" * 32


def seal(org: Organisation, version_id: UUID, sequence: int, actor: str = "mon") -> None:
    org.seal_segment(version_id, sequence=sequence, actor=actor, merkle_root=ROOT)


@dataclass
class Story:
    org: Organisation
    explanation_id: UUID
    versions: dict[str, UUID]
    sizes: dict[str, int]
    read_side: InMemoryReadSide

    def rows(self, kind: str, **filters: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = search(self.read_side, self.read_side.size(), kind, **filters)[
            "rows"
        ]
        return rows

    def leaves(self, topic: str) -> list[int]:
        return [leaf for leaf, name in enumerate(topics(self.org.app)) if name == topic]


@pytest.fixture
def story() -> Story:
    org = organisation_on(IN_MEMORY_ENV)
    org.app.register_principal(actor="root", name="scorer", roles=[Role.SCORING_CLIENT.value])
    sizes = {"nothing": len(topics(org.app))}
    credit = org.released()
    org.deploy(credit, "prod")
    seal(org, credit, 1, actor="scorer")
    sizes["one segment"] = len(topics(org.app))
    seal(org, credit, 2)
    fraud = org.train(org.register_model("fraud"), artifact=OTHER_ARTIFACT)
    org.validate(fraud)
    org.approve(fraud)
    org.deploy(fraud, "prod")
    seal(org, fraud, 1)
    explanation_id = org.app.record_explanation(
        actor="mon",
        version_id=credit,
        prediction_ref="p-2-7",
        method="lime",
        parameters={"num_samples": 500},
        seed=7,
        weights_digest=SUMMARY,
        fidelity=0.87,
    )
    loans = org.train(org.register_model("loans"), actor="max")
    with pytest.raises(SegregationOfDutiesError):
        org.approve(loans, "max")
    record_v1_refusal(org.app, "eve", "set_policy", "'eve' is not a registered principal")
    with pytest.raises(NotAuthorizedError):
        org.app.retire(actor="dev", version_id=credit)
    read_side = project_in_memory(org.app, CatalogProjection(), SearchIndexProjection())
    versions = {"credit": credit, "fraud": fraud, "loans": loans}
    return Story(org, explanation_id, versions, sizes, read_side)


def test_each_sealed_segment_is_found_by_model_with_its_proof_material(story: Story) -> None:
    rows = story.rows("prediction_segment", model="credit")

    assert [row["sources"] for row in rows] == [
        [leaf] for leaf in story.leaves("SegmentSealed")[:2]
    ]
    assert [row["leaf_index"] for row in rows] == story.leaves("SegmentSealed")[:2]
    first = rows[0]
    assert {key: first[key] for key in ("model", "version", "environment", "kind", "sequence")} == {
        "model": "credit",
        "version": 1,
        "environment": "prod",
        "kind": "prediction",
        "sequence": 1,
    }
    assert (first["record_count"], first["first_id"], first["last_id"]) == (100, "p-1-1", "p-1-100")
    assert (first["start"], first["end"]) == (
        "2026-11-30T10:01:00+00:00",
        "2026-11-30T10:01:59+00:00",
    )
    assert (first["merkle_root"], first["digest"]) == (ROOT, segment_digest(1))
    assert first["actor"] == "scorer"
    assert [row["model"] for row in story.rows("prediction_segment")] == [
        "credit",
        "credit",
        "fraud",
    ]


def test_segments_are_found_by_actor_and_by_recorded_time(story: Story) -> None:
    every = story.rows("prediction_segment")

    assert [row["sequence"] for row in story.rows("prediction_segment", actor="scorer")] == [1]
    since = story.rows("prediction_segment", since=every[1]["recorded_at"])
    assert [row["leaf_index"] for row in since] == [every[1]["leaf_index"], every[2]["leaf_index"]]
    until = story.rows("prediction_segment", until=every[0]["recorded_at"])
    assert [row["leaf_index"] for row in until] == [every[0]["leaf_index"]]


def test_a_time_with_an_offset_is_read_as_the_same_instant(story: Story) -> None:
    latest = story.rows("prediction_segment")[-1]["recorded_at"]
    same = latest.replace("Z", "+00:00")

    assert [row["model"] for row in story.rows("prediction_segment", since=same)] == ["fraud"]
    with pytest.raises(ValueError, match="has no time zone"):
        story.rows("prediction_segment", since=latest.removesuffix("Z"))


def test_an_explanation_is_found_by_model(story: Story) -> None:
    (row,) = story.rows("explanation", model="credit")

    assert row == {
        "model": "credit",
        "version": 1,
        "explanation_id": str(story.explanation_id),
        "prediction_ref": "p-2-7",
        "method": "lime",
        "weights_digest": SUMMARY,
        "fidelity": 0.87,
        "actor": "mon",
        "leaf_index": story.leaves("Recorded")[0],
        "recorded_at": row["recorded_at"],
        "sources": story.leaves("Recorded"),
    }
    assert story.rows("explanation", model="fraud") == []


def test_refusals_are_found_by_the_model_they_were_about_and_by_actor(story: Story) -> None:
    refused = story.leaves("CommandRefused")

    rows = story.rows("refusal")
    assert [(row["actor"], row["command"], row["sources"]) for row in rows] == [
        ("max", "grant_approval", [refused[0]]),
        ("eve", "set_policy", [refused[1]]),
        ("dev", "retire", [refused[2]]),
    ]
    assert "'max' developed version 1 and may not approve or reject it" in rows[0]["reason"]
    assert [row["command"] for row in story.rows("refusal", actor="dev")] == ["retire"]
    (retire,) = story.rows("refusal", model="credit")
    assert {key: retire[key] for key in ("command", "model", "version", "subject_id")} == {
        "command": "retire",
        "model": "credit",
        "version": 1,
        "subject_id": str(story.versions["credit"]),
    }
    assert [row["subject_id"] for row in story.rows("refusal", model="loans")] == [
        str(story.versions["loans"])
    ]
    assert story.rows("refusal", model="fraud") == []


def test_a_refusal_recorded_before_subjects_is_indexed_under_no_model(story: Story) -> None:
    (before_subjects,) = story.rows("refusal", actor="eve")

    assert {key: before_subjects[key] for key in ("model", "version", "subject_id")} == {
        "model": "",
        "version": None,
        "subject_id": "",
    }
    assert before_subjects["reason"] == "'eve' is not a registered principal"
    every_model = [row for m in ("credit", "loans") for row in story.rows("refusal", model=m)]
    assert before_subjects not in every_model


def test_the_index_as_of_a_past_size_holds_only_what_was_sealed_before(story: Story) -> None:
    result = search(story.read_side, story.sizes["one segment"], "prediction_segment")

    assert [row["sequence"] for row in result["rows"]] == [1]
    assert search(story.read_side, story.sizes["one segment"], "refusal")["rows"] == []


def test_pages_follow_leaf_order(story: Story) -> None:
    every = story.rows("prediction_segment")

    page = search(story.read_side, story.read_side.size(), "prediction_segment", limit=1, offset=1)
    assert page["rows"] == every[1:2]
    assert (page["count"], page["limit"], page["offset"]) == (1, 1, 1)


def test_an_unknown_kind_or_model_is_refused_with_what_exists(story: Story) -> None:
    with pytest.raises(ValueError, match="search one of prediction_segment, explanation, refusal"):
        story.rows("timeline")
    with pytest.raises(NotFoundError, match="models registered then: none"):
        search(story.read_side, story.sizes["nothing"], "explanation", model="credit")


def test_the_rendering_shows_the_columns_of_the_kind(story: Story) -> None:
    shown = render(search(story.read_side, story.read_side.size(), "refusal")).splitlines()

    assert shown[0] == "3 refusal entries (offset 0)"
    assert shown[1].split() == [
        "leaf", "recorded", "at", "actor", "model", "version", "command", "reason"
    ]  # fmt: skip
    assert shown[-1].split()[2:6] == ["dev", "credit", "1", "retire"]
    segments = render(search(story.read_side, story.read_side.size(), "prediction_segment"))
    assert "merkle root" in segments.splitlines()[1]
    assert ROOT in segments
