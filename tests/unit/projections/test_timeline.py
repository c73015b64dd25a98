"""The timeline read model: every event about a model, in leaf order, each citing its leaf."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pytest

from api.auditor_views.timeline import render
from domain.aggregates.prediction_log import PredictionLog
from domain.aggregates.refusal import CommandRefusal
from domain.errors import (
    InvalidStateError,
    NotAuthorizedError,
    RuleError,
    SegregationOfDutiesError,
)
from projections.catalog import CatalogProjection
from projections.errors import NotFoundError
from projections.store.memory import InMemoryReadSide
from projections.timeline import TimelineProjection, timeline
from tests.unit.fakes import (
    ARTIFACT,
    IN_MEMORY_ENV,
    OTHER_ARTIFACT,
    Organisation,
    organisation_on,
    topics,
)
from tests.unit.projections.read_side import project_in_memory
from tests.unit.test_refusal_subjects import record_v1_refusal

DIGEST = "sha256:" + "d" * 64


@dataclass
class Story:
    """A model's life, the ids of everything about it, and the log size after each step."""

    org: Organisation
    ids: set[UUID]
    sizes: dict[str, int]
    read_side: InMemoryReadSide

    def summaries(self, step: str | None = None, **page: int) -> list[str]:
        as_of = self.read_side.size() if step is None else self.sizes[step]
        return [row["summary"] for row in timeline(self.read_side, as_of, "credit", **page)["rows"]]


def seal(org: Organisation, version_id: UUID) -> None:
    org.seal_segment(version_id)


def explain(org: Organisation, version_id: UUID) -> UUID:
    return org.app.record_explanation(
        actor="mon",
        version_id=version_id,
        prediction_ref="p-3",
        method="lime",
        parameters={"num_samples": 500},
        seed=7,
        weights_digest=DIGEST,
        fidelity=0.9,
    )


@pytest.fixture
def story() -> Story:
    org = organisation_on(IN_MEMORY_ENV)
    sizes = {"nothing": len(topics(org.app))}
    model_id = org.register_model("credit")
    v1 = org.train(model_id)
    org.app.start_validation(actor="vera", version_id=v1)
    sizes["validation started"] = len(topics(org.app))
    org.conclude(v1, "vera")
    finding_id = org.raise_finding(v1, severity="low")
    org.approve(v1)
    org.deploy(v1, "prod")
    monitor_id = org.app.register_monitor(
        actor="olga", version_id=v1, kind="drift", environment="prod"
    )
    seal(org, v1)
    explanation_id = explain(org, v1)
    v2 = org.train(model_id, actor="max", artifact=OTHER_ARTIFACT)
    org.validate(v2)
    with pytest.raises(SegregationOfDutiesError):
        org.approve(v2, "max")
    with pytest.raises(RuleError):
        org.deploy(v2, "prod")
    with pytest.raises(InvalidStateError):
        org.app.close_finding(actor="vera", finding_id=finding_id)
    with pytest.raises(NotAuthorizedError):
        org.train(model_id, actor="olga")
    record_v1_refusal(org.app, "dev", "retire", "'dev' may not retire")
    org.app.roll_back(actor="dee", version_id=v1, environment="prod")
    org.train(org.register_model("fraud"))
    log_id = PredictionLog.create_id(v1, "prod", "prediction")
    ids = {model_id, v1, v2, finding_id, monitor_id, log_id, explanation_id}
    read_side = project_in_memory(org.app, CatalogProjection(), TimelineProjection())
    return Story(org, ids, sizes, read_side)


def refusal_subject(story: Story, aggregate_id: UUID) -> str | None:
    """The subject of the refusal ``aggregate_id``, None if it is not a refusal."""
    aggregate: object = story.org.app.repository.get(aggregate_id)
    return aggregate.subject if isinstance(aggregate, CommandRefusal) else None


def test_every_event_about_the_model_is_a_line_in_leaf_order(story: Story) -> None:
    notifications = story.org.app.recorder.select_notifications(start=1, limit=10_000)
    subjects = {str(aggregate_id) for aggregate_id in story.ids}
    about_credit = [
        leaf
        for leaf, note in enumerate(notifications)
        if note.originator_id in story.ids
        or refusal_subject(story, UUID(str(note.originator_id))) in subjects
    ]

    rows = timeline(story.read_side, story.read_side.size(), "credit", limit=1000)["rows"]

    assert [row["leaf_index"] for row in rows] == about_credit
    assert all(row["sources"] == [row["leaf_index"]] for row in rows)
    assert [row["aggregate_id"] for row in rows] == [
        str(notifications[leaf].originator_id) for leaf in about_credit
    ]
    assert [row["aggregate_version"] for row in rows] == [
        notifications[leaf].originator_version for leaf in about_credit
    ]


def test_lines_say_who_did_what_to_which_version(story: Story) -> None:
    summaries = story.summaries(limit=1000)

    assert summaries[:4] == [
        "olga registered model credit (high risk), owned by olga",
        "dev listed v1 in the inventory",
        f"dev trained v1 (artifact {ARTIFACT})",
        "vera started validation of v1",
    ]
    for expected in [
        "vera concluded validation of v1: passed",
        "vera raised a low finding on v1: bias",
        "vera linked finding 'bias' to v1",
        f"ann approved v1 (artifact {ARTIFACT})",
        "dee deployed v1 to prod",
        "olga registered a drift monitor of v1 in prod",
        "mon opened the prediction log of v1 in prod",
        "mon sealed prediction segment 1 of v1 in prod (100 records)",
        "mon recorded a lime explanation of prediction p-3 of v1 (fidelity 0.9)",
        "max listed v2 in the inventory",
        f"max trained v2 (artifact {OTHER_ARTIFACT})",
        "dee rolled v1 back from prod",
    ]:
        assert expected in summaries


def test_rows_carry_the_event_the_version_and_the_actor(story: Story) -> None:
    rows = timeline(story.read_side, story.read_side.size(), "credit", limit=1000)["rows"]

    registered, listed = rows[0], rows[1]
    assert (registered["event"], registered["version"], registered["actor"]) == (
        "Model.Registered",
        None,
        "olga",
    )
    assert (listed["event"], listed["version"]) == ("Model.VersionAdded", 1)
    concluded = [row for row in rows if row["event"] == "ModelVersion.ValidationConcluded"]
    assert [(row["version"], row["actor"]) for row in concluded] == [(1, "vera"), (2, "vera")]
    assert all(row["recorded_at"].endswith("Z") for row in rows)


def test_a_refused_command_is_a_line_of_the_timeline_of_the_model_it_was_about(
    story: Story,
) -> None:
    rows = timeline(story.read_side, story.read_side.size(), "credit", limit=1000)["rows"]

    refused = [row for row in rows if row["event"] == "CommandRefusal.CommandRefused"]
    assert [(row["actor"], row["version"]) for row in refused] == [
        ("max", 2),
        ("dee", 2),
        ("vera", 1),
        ("olga", None),
    ]
    assert [row["summary"] for row in refused] == [
        "REFUSED: max may not grant approval v2: 'max' developed version 2 and may not approve "
        "or reject it: another approver must",
        "REFUSED: dee may not deploy v2: prod needs 2 distinct approver(s) of "
        f"{OTHER_ARTIFACT} for a high-risk model (policy default-1); it has 0",
        "REFUSED: vera may not close finding 'bias' of v1: finding 'bias' is open: remediate it "
        "or have an approver accept the risk before closing it",
        "REFUSED: olga may not train model version model credit: 'olga' may not "
        "train_model_version: it needs the role model_developer, granted by an admin",
    ]
    assert not any("max approved" in row["summary"] for row in rows)


def test_a_refusal_about_nothing_the_catalog_names_is_on_no_timeline(story: Story) -> None:
    every_line = story.summaries(limit=1000) + [
        row["summary"]
        for row in timeline(story.read_side, story.read_side.size(), "fraud", limit=1000)["rows"]
    ]

    assert topics(story.org.app).count("CommandRefused") == 5
    assert sum(line.startswith("REFUSED") for line in every_line) == 4
    assert not any("may not retire" in line for line in every_line)


def test_the_timeline_as_of_a_past_size_stops_there(story: Story) -> None:
    assert story.summaries("validation started")[-1] == "vera started validation of v1"
    assert len(story.summaries("validation started")) == 4


def test_pages_follow_leaf_order(story: Story) -> None:
    everything = story.summaries(limit=1000)

    assert story.summaries(limit=3, offset=2) == everything[2:5]
    result = timeline(story.read_side, story.read_side.size(), "credit", limit=3, offset=2)
    assert (result["count"], result["model"]) == (3, "credit")


def test_a_model_not_registered_yet_is_not_found(story: Story) -> None:
    with pytest.raises(NotFoundError, match="models registered then: none"):
        timeline(story.read_side, story.sizes["nothing"], "credit")
    with pytest.raises(NotFoundError, match="no model 'loans'"):
        timeline(story.read_side, story.read_side.size(), "loans")


def test_the_rendering_lists_leaf_time_actor_and_line(story: Story) -> None:
    shown = render(timeline(story.read_side, story.sizes["validation started"], "credit"))

    lines = shown.splitlines()
    assert lines[0] == "Timeline of credit (4 events)"
    assert lines[1].split() == ["leaf", "recorded", "at", "actor", "version", "what", "happened"]
    leaf, _, actor, version, line = lines[-1].split(maxsplit=4)
    assert [leaf, actor, version, line] == [
        str(story.sizes["validation started"] - 1),
        "vera",
        "1",
        "vera started validation of v1",
    ]


def test_a_revoked_approval_and_a_refused_revocation_are_lines_from_their_leaves_on() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    version_id = org.released()
    org.revoke(version_id, "ann")
    with pytest.raises(InvalidStateError):
        org.revoke(version_id, "ann")
    read_side = project_in_memory(org.app, CatalogProjection(), TimelineProjection())
    revoked = topics(org.app).index("ApprovalRevoked")

    def lines(as_of: int) -> list[str]:
        rows = timeline(read_side, as_of, "credit", limit=1000)["rows"]
        return [row["summary"] for row in rows]

    assert lines(revoked)[-1] == f"abe approved v1 (artifact {ARTIFACT})"
    assert lines(revoked + 1)[-1] == (
        f"ann revoked their approval of v1 (artifact {ARTIFACT}): the holdout leaked into training"
    )
    assert lines(read_side.size())[-1].startswith(
        "REFUSED: ann may not revoke approval v1: 'ann' has no standing approval"
    )
