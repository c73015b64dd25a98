"""Stored events outlive their classes: old versions are upcast when read."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.aggregates.dataset import UNKNOWN_LICENSE, Dataset
from domain.aggregates.model_version import ModelVersion
from domain.application import GovernanceApplication
from tests.unit.fakes import event_state

VERSION_ADDED_TOPIC = "domain.aggregates.dataset:Dataset.VersionAdded"

V1_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2025-01-31T10:00:00.123456+00:00"},
    "digest": "sha256:" + "ab" * 32,
    "row_count": 1000,
    "columns": ["age", "amount", "label"],
    "protected_attributes": ["age"],
    "sensitivity": "confidential",
    "actor": "dana",
}
"""The state of ``Dataset.VersionAdded`` as stored before it had a licence (no class_version)."""

SCHEMA = {"age": {"type": "integer", "minimum": 18}, "label": {"categories": [0, 1]}}

TRAINED_TOPIC = "domain.aggregates.model_version:ModelVersion.Trained"

TRAINED_V1_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2025-01-31T10:00:00.123456+00:00"},
    "originator_topic": "domain.aggregates.model_version:ModelVersion",
    "model_id": {"_type_": "uuid_hex", "_data_": "0" * 32},
    "number": 1,
    "dataset_versions": ["credit-data:1"],
    "training_spec": {"seed": 7},
    "code_version": "git:0123abc",
    "environment": {"python": "3.11"},
    "artifact_digest": "sha256:" + "ab" * 32,
    "metrics": {"auc": 0.8},
    "derived_from": "",
    "actor": "dev",
}
"""The state of ``ModelVersion.Trained`` as stored before reference statistics (v1)."""


@pytest.fixture
def app(governance_env: Mapping[str, str]) -> Iterator[GovernanceApplication]:
    application = GovernanceApplication(env=governance_env)
    yield application
    application.close()


def stored(state: dict[str, object], version: int = 2) -> StoredEvent:
    # Canonical JSON (sorted keys, no spaces), as the signed store's mapper writes state.
    return StoredEvent(
        originator_id=uuid4(),
        originator_version=version,
        topic=VERSION_ADDED_TOPIC,
        state=json.dumps(state, separators=(",", ":"), sort_keys=True).encode("utf-8"),
    )


def recorded(app: GovernanceApplication, state: dict[str, object]) -> StoredEvent:
    """A dataset's VersionAdded with ``state``, as the store holds it (sealed, if signed)."""
    dataset = Dataset(name="german-credit", description="credit applications", actor="dana")
    app.save(dataset)
    app.recorder.insert_events([replace(stored(state), originator_id=dataset.id)])
    return app.recorder.select_events(dataset.id)[1]


def test_a_version_added_before_licences_reads_with_an_unknown_licence(
    app: GovernanceApplication,
) -> None:
    event = app.mapper.to_domain_event(recorded(app, V1_STATE))

    assert isinstance(event, Dataset.VersionAdded)
    assert event.license == UNKNOWN_LICENSE
    assert event.digest == V1_STATE["digest"]
    assert event.columns == V1_STATE["columns"]


def test_a_version_added_now_is_stored_as_version_3_with_its_licence_and_schema(
    app: GovernanceApplication,
) -> None:
    dataset = Dataset(name="german-credit", description="credit applications", actor="dana")
    dataset.add_version(
        digest="sha256:" + "cd" * 32,
        row_count=1000,
        columns=["age", "label"],
        protected_attributes=["age"],
        sensitivity="public",
        actor="dana",
        license="CC-BY-4.0",
        schema=SCHEMA,
    )
    app.save(dataset)

    _, version_added = app.recorder.select_events(dataset.id)
    state = json.loads(event_state(version_added))
    assert version_added.topic == VERSION_ADDED_TOPIC
    assert state["class_version"] == 3
    assert (state["license"], state["schema"]) == ("CC-BY-4.0", SCHEMA)
    (version,) = app.get_dataset(dataset.id).versions
    assert (version.license, version.schema) == ("CC-BY-4.0", SCHEMA)


def test_a_version_2_event_reads_with_an_empty_schema_and_is_rewritten_as_version_3(
    app: GovernanceApplication,
) -> None:
    event = app.mapper.to_domain_event(
        recorded(app, {**V1_STATE, "license": "CC-BY-4.0", "class_version": 2})
    )

    again = app.mapper.to_stored_event(event)

    assert isinstance(event, Dataset.VersionAdded)
    assert (event.license, event.schema) == ("CC-BY-4.0", {})
    assert json.loads(again.state) == {
        **V1_STATE,
        "license": "CC-BY-4.0",
        "schema": {},
        "class_version": 3,
    }


def test_a_dataset_recorded_before_licences_rebuilds_with_unknown_licences(
    app: GovernanceApplication,
) -> None:
    dataset = Dataset(name="german-credit", description="credit applications", actor="dana")
    app.save(dataset)
    old = stored(V1_STATE)
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=dataset.id,
                originator_version=2,
                topic=old.topic,
                state=old.state,
            )
        ]
    )

    (version,) = app.get_dataset(dataset.id).versions

    assert version.license == UNKNOWN_LICENSE
    assert version.schema == {}
    assert version.digest == V1_STATE["digest"]
    assert version.columns == ("age", "amount", "label")


def test_callers_that_name_no_licence_record_an_unknown_one() -> None:
    dataset = Dataset(name="german-credit", description="credit applications", actor="dana")

    dataset.add_version(
        digest="sha256:" + "cd" * 32,
        row_count=10,
        columns=["a"],
        protected_attributes=[],
        sensitivity="public",
        actor="dana",
    )

    assert dataset.versions[0].license == UNKNOWN_LICENSE


def test_a_version_trained_before_reference_statistics_reads_with_none(
    app: GovernanceApplication,
) -> None:
    version_id = uuid4()
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=version_id,
                originator_version=1,
                topic=TRAINED_TOPIC,
                state=json.dumps(TRAINED_V1_STATE, separators=(",", ":"), sort_keys=True).encode(),
            )
        ]
    )

    version = app.get_model_version(version_id)

    assert version.reference_digest == ""
    assert version.artifact_digest == TRAINED_V1_STATE["artifact_digest"]
    assert version.status == "trained"


def test_a_version_trained_now_is_stored_as_version_2_with_its_reference(
    app: GovernanceApplication,
) -> None:
    version = ModelVersion(
        model_id=uuid4(),
        number=1,
        dataset_versions=[],
        training_spec={"seed": 7},
        code_version="git:0123abc",
        environment={},
        artifact_digest="sha256:" + "ab" * 32,
        reference_digest="sha256:" + "cd" * 32,
        metrics={},
        derived_from="",
        actor="dev",
    )
    app.save(version)

    (trained,) = app.recorder.select_events(version.id)
    state = json.loads(event_state(trained))
    assert (trained.topic, state["class_version"]) == (TRAINED_TOPIC, 2)
    assert app.get_model_version(version.id).reference_digest == "sha256:" + "cd" * 32
