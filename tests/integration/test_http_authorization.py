"""The authorization matrix: every endpoint under /v1 x every role, on both engines.

Each endpoint declares the roles it admits (``x-roles`` in OpenAPI); a caller without a token gets
401, a caller holding none of those roles 403 with its refusal recorded on the ledger, and a caller
holding one passes authorization (whatever its request then earns, never 401, 403 or a 5xx).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.composition import Ledger, open_ledger
from api.database import Database
from api.settings import Settings
from domain.rules.roles import Role
from tests.integration.http_client import ApiClient, api_client, principal_of
from tests.unit.fakes import topics

READING_POSTS = frozenset({"/v1/exports"})
"""POSTs that only read: an export answers a bundle and appends nothing to the log."""


@dataclass(frozen=True)
class Endpoint:
    """One operation under /v1 as OpenAPI publishes it."""

    method: str
    template: str
    roles: frozenset[Role] | None

    @property
    def path(self) -> str:
        """The path with each parameter filled in with a name nothing has."""
        return re.sub(r"\{[^}]+\}", "no-such-thing", self.template)


def v1_endpoints(api: ApiClient) -> list[Endpoint]:
    """Every operation under /v1 with the roles its ``x-roles`` declares (None if it has none)."""
    paths = api.client.get("/openapi.json").json()["paths"]
    return [
        Endpoint(
            method.upper(),
            template,
            None if "x-roles" not in operation else frozenset(map(Role, operation["x-roles"])),
        )
        for template, operations in paths.items()
        if template.startswith("/v1/")
        for method, operation in operations.items()
    ]


def call(api: ApiClient, method: str, path: str, role: Role | None) -> tuple[int, dict[str, Any]]:
    """The status and JSON body (``{}`` when not JSON) of ``method path`` as ``role``."""
    body: dict[str, Any] | None = {} if method in {"POST", "PUT", "PATCH"} else None
    answer = api.client.request(method, path, headers=api.headers(role), json=body)
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    return answer.status_code, answer.json() if is_json else {}


class AuthorizationMatrix:
    @pytest.fixture
    def ledger(self, settings: Settings, database: Database) -> Iterator[Ledger]:
        opened = open_ledger(settings, with_ml=True)  # as `govledger serve` opens it
        yield opened
        opened.close()

    @pytest.fixture
    def api(self, ledger: Ledger) -> Iterator[ApiClient]:
        with api_client(ledger) as api:
            yield api

    def test_every_v1_endpoint_declares_the_roles_it_admits(self, api: ApiClient) -> None:
        endpoints = v1_endpoints(api)

        assert [e.template for e in endpoints if not e.roles] == []
        assert len(endpoints) >= 40  # commands, reads, ledger, scoring

    def test_no_token_is_401_on_every_endpoint(self, api: ApiClient, ledger: Ledger) -> None:
        events_before = len(topics(ledger.application))
        for endpoint in v1_endpoints(api):
            status, document = call(api, endpoint.method, endpoint.path, None)
            assert (status, document.get("error")) == (401, "unauthenticated"), endpoint

        # Unauthenticated requests are answered, never recorded: a flood of them without a
        # credential cannot grow the signed log (they are counted in /metrics instead).
        assert len(topics(ledger.application)) == events_before

    def test_every_role_on_every_endpoint_is_admitted_or_refused_and_recorded(
        self, api: ApiClient, ledger: Ledger
    ) -> None:
        refusals_before = topics(ledger.application).count("CommandRefused")
        refused = 0
        for endpoint in v1_endpoints(api):
            for role in Role:
                status, document = call(api, endpoint.method, endpoint.path, role)
                where = f"{role} {endpoint.method} {endpoint.path}: {status} {document}"
                assert status < 500, where
                if role in (endpoint.roles or ()):
                    assert status not in (401, 403), where
                else:
                    assert (status, document.get("error")) == (403, "not_authorized"), where
                    assert principal_of(role) in str(document.get("detail")), where
                    refused += 1

        assert refused > 0
        assert topics(ledger.application).count("CommandRefused") - refusals_before == refused

    def test_the_auditor_reads_everything_and_writes_nothing(self, api: ApiClient) -> None:
        for endpoint in v1_endpoints(api):
            admitted = Role.AUDITOR in (endpoint.roles or ())
            reads = endpoint.method == "GET" or endpoint.template in READING_POSTS
            assert admitted == reads, endpoint

    def test_an_export_appends_nothing_to_the_log(self, api: ApiClient, ledger: Ledger) -> None:
        before = topics(ledger.application)
        answer = api.client.post(
            "/v1/exports", headers=api.headers(Role.AUDITOR), json={"model": "no-such-model"}
        )
        assert answer.status_code == 404, answer.text
        assert topics(ledger.application) == before

    def test_a_scoring_client_may_only_predict_and_send_feedback(self, api: ApiClient) -> None:
        scoring = {e.template for e in v1_endpoints(api) if Role.SCORING_CLIENT in (e.roles or ())}

        assert scoring == {
            "/v1/deployments/{environment}/{model}/predict",
            "/v1/deployments/{environment}/{model}/feedback",
            "/v1/prediction-segments",
        }


class OnSQLite:
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class OnPostgres:
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url


class TestAuthorizationOnSQLite(OnSQLite, AuthorizationMatrix):
    pass


class TestAuthorizationOnPostgres(OnPostgres, AuthorizationMatrix):
    pass
