"""Roles and refusals in the governance application, on in-memory persistence."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from uuid import uuid4

import pytest

from domain.application import GovernanceApplication
from domain.errors import DuplicateError, NotAuthorizedError, NotFoundError
from domain.rules.roles import ALLOWED_ROLES, Command, Role
from tests.unit.fakes import event_state, refused


@pytest.fixture
def app(governance_env: Mapping[str, str]) -> Iterator[GovernanceApplication]:
    application = GovernanceApplication(env=governance_env)
    application.bootstrap_admin("root")
    yield application
    application.close()


def test_bootstrapping_an_admin_happens_once(app: GovernanceApplication) -> None:
    assert app.bootstrap_admin("root") is False
    assert app.get_principal("root").roles == {Role.ADMIN}


def test_an_admin_registers_principals_with_their_roles(app: GovernanceApplication) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])

    assert app.get_principal("dana").roles == {Role.DATA_STEWARD}
    assert app.get_principal("dana").registered_by == "root"


def test_a_principal_cannot_be_registered_twice(app: GovernanceApplication) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])

    with refused(app, DuplicateError, "principal 'dana' is already registered"):
        app.register_principal(actor="root", name="dana", roles=[Role.APPROVER])


def test_a_non_admin_may_not_register_principals_and_the_refusal_is_recorded(
    app: GovernanceApplication,
) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])

    with refused(app, NotAuthorizedError, "'dana' may not register_principal: it needs"):
        app.register_principal(actor="dana", name="eve", roles=[Role.ADMIN])


def test_an_unknown_actor_is_refused_as_unregistered(app: GovernanceApplication) -> None:
    with refused(app, NotAuthorizedError, "'mallory' is not a registered principal"):
        app.register_dataset(name="credit", description="x", actor="mallory")


def test_a_data_steward_registers_datasets_and_a_developer_may_not(
    app: GovernanceApplication,
) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])
    app.register_principal(actor="root", name="dev", roles=[Role.MODEL_DEVELOPER])

    dataset_id = app.register_dataset(name="credit", description="x", actor="dana")
    with refused(app, NotAuthorizedError, "needs the role data_steward"):
        app.add_dataset_version(
            dataset_id,
            digest="sha256:" + "0" * 64,
            row_count=1,
            columns=["a"],
            protected_attributes=[],
            sensitivity="public",
            actor="dev",
        )

    assert app.get_dataset(dataset_id).versions == []


def test_granting_and_revoking_a_role_changes_what_a_principal_may_do(
    app: GovernanceApplication,
) -> None:
    app.register_principal(actor="root", name="dev", roles=[Role.MODEL_DEVELOPER])

    app.grant_role(actor="root", name="dev", role=Role.DATA_STEWARD)
    app.register_dataset(name="credit", description="x", actor="dev")
    app.revoke_role(actor="root", name="dev", role=Role.DATA_STEWARD)

    with refused(app, NotAuthorizedError, "'dev' may not register_dataset"):
        app.register_dataset(name="fraud", description="x", actor="dev")


def test_every_command_names_the_roles_allowed_to_issue_it() -> None:
    assert set(ALLOWED_ROLES) == set(Command)
    assert all(ALLOWED_ROLES[command] for command in Command)


def test_each_event_survives_the_round_trip_through_its_stored_form(
    app: GovernanceApplication,
) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])
    app.grant_role(actor="root", name="dana", role=Role.VALIDATOR)
    app.revoke_role(actor="root", name="dana", role=Role.VALIDATOR)
    dataset_id = app.register_dataset(name="credit", description="x", actor="dana")
    app.add_dataset_version(
        dataset_id,
        digest="sha256:" + "0" * 64,
        row_count=1,
        columns=["a"],
        protected_attributes=["a"],
        sensitivity="public",
        actor="dana",
    )
    with refused(app, NotAuthorizedError, "'nobody' is not a registered principal"):
        app.register_dataset(name="x", description="x", actor="nobody")

    stored = [
        app.mapper.to_stored_event(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start=None, limit=100)
    ]
    originals = list(app.recorder.select_notifications(start=None, limit=100))

    assert [s.state for s in stored] == [event_state(o) for o in originals]
    assert {o.topic.rsplit(".", 1)[-1] for o in originals} == {
        "Registered",
        "RoleGranted",
        "RoleRevoked",
        "VersionAdded",
        "CommandRefused",
    }


def test_a_duplicate_dataset_and_an_unknown_dataset_are_refused_and_recorded(
    app: GovernanceApplication,
) -> None:
    app.register_principal(actor="root", name="dana", roles=[Role.DATA_STEWARD])
    app.register_dataset(name="credit", description="x", actor="dana")

    with refused(app, DuplicateError, "dataset 'credit' is already registered"):
        app.register_dataset(name="credit", description="again", actor="dana")
    with refused(app, NotFoundError, "no dataset with id"):
        app.add_dataset_version(
            uuid4(),
            digest="sha256:" + "0" * 64,
            row_count=1,
            columns=["a"],
            protected_attributes=[],
            sensitivity="public",
            actor="dana",
        )
