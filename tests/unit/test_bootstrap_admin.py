"""Finding 11: the first admin is registered, unauthorised, only on an empty ledger."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from domain.application import GovernanceApplication
from domain.errors import InvalidArgumentError, NotAuthorizedError, NotFoundError
from domain.rules.roles import Role


@pytest.fixture
def app(governance_env: Mapping[str, str]) -> Iterator[GovernanceApplication]:
    application = GovernanceApplication(env=governance_env)
    yield application
    application.close()


def event_count(app: GovernanceApplication) -> int:
    return len(app.recorder.select_notifications(start=None, limit=1000))


def test_the_first_admin_is_registered_on_an_empty_ledger(app: GovernanceApplication) -> None:
    assert app.bootstrap_admin("root") is True

    assert app.get_principal("root").roles == {Role.ADMIN}
    assert event_count(app) == 1


def test_finding_11_no_second_admin_is_bootstrapped_on_an_initialised_ledger(
    app: GovernanceApplication,
) -> None:
    """Finding 11: ``GOVLEDGER_ADMIN=mallory govledger init`` registered a second admin."""
    app.bootstrap_admin("root")
    before = event_count(app)

    assert app.bootstrap_admin("mallory") is False

    with pytest.raises(NotFoundError, match="mallory"):
        app.get_principal("mallory")
    assert event_count(app) == before


def test_finding_11_any_event_makes_the_ledger_initialised(app: GovernanceApplication) -> None:
    """Finding 11: a ledger holding any event, even without principals, bootstraps nobody."""
    with pytest.raises(NotAuthorizedError):  # refused, and the refusal is recorded
        app.register_principal(actor="nobody", name="x", roles=[Role.ADMIN])
    assert event_count(app) == 1

    assert app.bootstrap_admin("mallory") is False

    with pytest.raises(NotFoundError):
        app.get_principal("mallory")


@pytest.mark.parametrize("name", ["", " root", "root\n", "a" * 201])
def test_a_malformed_first_admin_name_is_refused_before_anything_is_recorded(
    app: GovernanceApplication, name: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="GOVLEDGER_ADMIN"):
        app.bootstrap_admin(name)

    assert event_count(app) == 0
