"""A refusal names its subject: the id of the aggregate the refused command was about, so the
read side can put it on a model's timeline and an auditor can search refusals by model.

``CommandRefused`` v1, recorded before subjects, reads with ``subject = ""``.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import StoredEvent

from domain.aggregates.dataset import Dataset
from domain.aggregates.model import Model
from domain.aggregates.principal import Principal
from domain.aggregates.refusal import CommandRefusal
from domain.errors import DomainError, InvalidStateError, NotAuthorizedError
from domain.rules.policy import default_policy_document
from tests.unit.fakes import NewOrganisation, Organisation, event_state, topics

REFUSED_TOPIC = "domain.aggregates.refusal:CommandRefusal.CommandRefused"


def v1_refusal_state(actor: str, command: str, reason: str) -> dict[str, object]:
    """The state of ``CommandRefused`` as stored before subjects (v1: no ``class_version``)."""
    return {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2025-01-31T10:00:00.123456+00:00"},
        "originator_topic": "domain.aggregates.refusal:CommandRefusal",
        "actor": actor,
        "command": command,
        "reason": reason,
    }


def record_v1_refusal(app: Application[Any], actor: str, command: str, reason: str) -> UUID:
    """Store a v1 refusal in ``app`` as an older release recorded it (sealed, if signed)."""
    refusal_id = uuid4()
    state = json.dumps(
        v1_refusal_state(actor, command, reason), separators=(",", ":"), sort_keys=True
    )
    app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=refusal_id,
                originator_version=1,
                topic=REFUSED_TOPIC,
                state=state.encode("utf-8"),
            )
        ]
    )
    return refusal_id


def last_refusal(org: Organisation) -> CommandRefusal:
    """The refusal recorded last: the last event, which must be a ``CommandRefused``."""
    (note,) = org.app.recorder.select_notifications(start=None, limit=10_000)[-1:]
    assert note.topic == REFUSED_TOPIC
    refusal: object = org.app.repository.get(UUID(str(note.originator_id)))
    assert isinstance(refusal, CommandRefusal)
    return refusal


def test_a_refused_deploy_records_the_version_as_its_subject(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = org.train(org.register_model())
    org.validate(version_id)

    with pytest.raises(DomainError):
        org.deploy(version_id, "prod")

    refusal = last_refusal(org)
    assert (refusal.command, refusal.actor, refusal.subject) == ("deploy", "dee", str(version_id))


def test_a_refused_close_finding_records_the_finding_as_its_subject(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    finding_id = org.raise_finding(org.train(org.register_model()))

    with pytest.raises(InvalidStateError, match="remediate it"):
        org.app.close_finding(actor="vera", finding_id=finding_id)

    assert (last_refusal(org).command, last_refusal(org).subject) == (
        "close_finding",
        str(finding_id),
    )


def test_an_unauthorised_register_model_records_the_id_the_model_would_have(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()

    with pytest.raises(NotAuthorizedError):
        org.app.register_model(
            actor="dev",
            name="loans",
            purpose="p",
            intended_use="u",
            restrictions=[],
            risk_tier="low",
        )

    refusal = last_refusal(org)
    assert (refusal.command, refusal.subject) == ("register_model", str(Model.create_id("loans")))
    assert refusal.reason.startswith("'dev' may not register_model")


def test_named_subjects_of_datasets_principals_and_the_policy(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()

    with pytest.raises(NotAuthorizedError):
        org.app.register_dataset(name="credit-data", description="d", actor="dev")
    assert last_refusal(org).subject == str(Dataset.create_id("credit-data"))
    with pytest.raises(DomainError):
        org.app.grant_role(actor="root", name="ann", role="no-such-role")
    assert last_refusal(org).subject == str(Principal.create_id("ann"))
    with pytest.raises(NotAuthorizedError):
        org.app.set_policy(actor="ann", document=default_policy_document())
    assert last_refusal(org).subject == ""


def test_a_refused_training_records_the_model_as_its_subject(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    model_id = org.register_model()

    with pytest.raises(NotAuthorizedError):
        org.train(model_id, actor="olga")

    assert (last_refusal(org).command, last_refusal(org).subject) == (
        "train_model_version",
        str(model_id),
    )


def test_a_refused_window_evaluation_records_the_watched_version(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = org.released()
    org.deploy(version_id, "dev")
    monitor_id = org.app.register_monitor(
        actor="olga", version_id=version_id, kind="drift", environment="dev"
    )
    org.app.roll_back(actor="dee", version_id=version_id, environment="dev")

    with pytest.raises(InvalidStateError):
        org.app.evaluate_monitoring_window(
            actor="mon",
            monitor_id=monitor_id,
            start="2026-11-30T10:00:00+00:00",
            end="2026-11-30T11:00:00+00:00",
        )

    assert last_refusal(org).subject == str(version_id)


def test_a_subject_that_is_not_an_id_is_recorded_as_its_text(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    garbage: Any = "v\ud800"

    with pytest.raises(DomainError, match="is not an id"):
        org.app.retire(actor="dee", version_id=garbage)
    assert last_refusal(org).subject == "v\\ud800"
    with pytest.raises(DomainError, match="is not an id"):
        org.app.retire(actor="dee", version_id=None)  # type: ignore[arg-type]
    assert last_refusal(org).subject == ""
    with pytest.raises(DomainError):
        org.app.register_model(
            actor="olga",
            name=garbage,
            purpose="p",
            intended_use="u",
            restrictions=[],
            risk_tier="low",
        )
    assert last_refusal(org).subject == ""


def test_a_refusal_is_stored_as_version_2_under_the_topic_it_always_had(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    version_id = org.train(org.register_model())

    with pytest.raises(NotAuthorizedError):
        org.app.retire(actor="dev", version_id=version_id)

    stored = org.app.recorder.select_notifications(start=None, limit=10_000)[-1]
    state = json.loads(event_state(stored))
    assert (stored.topic, state["class_version"]) == (REFUSED_TOPIC, 2)
    assert (state["command"], state["subject"]) == ("retire", str(version_id))


def test_a_refusal_recorded_before_subjects_reads_with_none(
    new_organisation: NewOrganisation,
) -> None:
    org = new_organisation()
    before = topics(org.app)

    refusal_id = record_v1_refusal(org.app, "dev", "retire", "'dev' may not retire")

    refusal: object = org.app.repository.get(refusal_id)
    assert isinstance(refusal, CommandRefusal)
    assert (refusal.actor, refusal.command, refusal.reason, refusal.subject) == (
        "dev",
        "retire",
        "'dev' may not retire",
        "",
    )
    assert topics(org.app) == [*before, "CommandRefused"]
