"""The API over a test ledger, with one principal and one real token per role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from api.composition import Ledger
from api.http.app import create_app
from api.tokens import TokenStore
from domain.rules.roles import Role


@dataclass(frozen=True)
class ApiClient:
    """A TestClient on the app and a bearer token for each role's principal (``<role>-user``)."""

    client: TestClient
    tokens: dict[Role, str]

    def headers(self, role: Role | None) -> dict[str, str]:
        """The Authorization header of ``role``'s principal; none for None."""
        return {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}


def principal_of(role: Role) -> str:
    """The name of the test principal that holds only ``role``."""
    return f"{role.value.replace('_', '-')}-user"


def enrol_every_role(ledger: Ledger) -> dict[Role, str]:
    """Register a principal holding each role alone, and issue it a real token."""
    application = ledger.application
    application.bootstrap_admin("root")
    store = TokenStore(ledger.database)
    expires = datetime.now(UTC) + timedelta(days=1)
    tokens = {}
    for role in Role:
        application.register_principal(actor="root", name=principal_of(role), roles=[role])
        tokens[role] = store.issue(principal_of(role), label="test", expires_at=expires).secret
    return tokens


@contextmanager
def api_client(ledger: Ledger) -> Iterator[ApiClient]:
    """The API over ``ledger`` (left open for the caller to close), every role enrolled."""
    tokens = enrol_every_role(ledger)
    app = create_app(ledger.settings, opened=ledger)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ApiClient(client=client, tokens=tokens)
