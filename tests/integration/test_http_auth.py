"""Bearer tokens at the HTTP door, with the real token store, on SQLite and on PostgreSQL.

Every way a token can be wrong is 401 ``{"error", "detail"}`` with a Bearer challenge and the
token never echoed; a principal who holds no read role any more is 403 and the refusal is on
the ledger; a valid token passes and names its principal.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from api.composition import Ledger
from api.http.app import create_app
from api.http.auth import Caller, authenticated, reader
from api.read_side import projector, read_view
from api.settings import Settings
from api.tokens import IssuedToken, TokenStore
from projections.search_index import search

WHOAMI = "/v1/test-only/whoami"
_LATER = datetime.now(UTC) + timedelta(days=1)


def _whoami(caller: Annotated[Caller, Depends(authenticated)]) -> dict[str, object]:
    return {"name": caller.name, "roles": sorted(caller.roles)}


class HttpAuthContract:
    @pytest.fixture
    def people(self, ledger: Ledger) -> Ledger:
        application = ledger.application
        assert application.bootstrap_admin("root")
        application.register_principal(actor="root", name="aud", roles=["auditor"])
        application.register_principal(actor="root", name="ex", roles=["auditor"])
        application.revoke_role(actor="root", name="ex", role="auditor")
        return ledger

    @pytest.fixture
    def store(self, people: Ledger) -> TokenStore:
        return TokenStore(people.database)

    @pytest.fixture
    def client(self, settings: Settings, people: Ledger) -> Iterator[TestClient]:
        app = create_app(settings, opened=people)
        app.add_api_route(WHOAMI, _whoami, dependencies=[reader("read whoami")])
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    def refused(self, client: TestClient, authorization: str | None, *fragments: str) -> str:
        headers = {} if authorization is None else {"Authorization": authorization}
        answer = client.get(WHOAMI, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
        body = answer.json()
        assert set(body) == {"error", "detail"}
        for fragment in fragments:
            assert fragment in body["detail"], body
        return str(body["detail"])

    def test_a_valid_token_names_its_principal(self, client: TestClient, store: TokenStore) -> None:
        issued = store.issue("aud", label="", expires_at=_LATER)

        answer = client.get(WHOAMI, headers={"Authorization": f"Bearer {issued.secret}"})
        lower_case = client.get(WHOAMI, headers={"Authorization": f"bearer {issued.secret}"})

        assert answer.status_code == 200, answer.text
        assert answer.json() == {"name": "aud", "roles": ["auditor"]}
        assert lower_case.status_code == 200

    def test_no_header_or_another_scheme_is_401_saying_how_to_send_one(
        self, client: TestClient, store: TokenStore
    ) -> None:
        issued = store.issue("aud", label="", expires_at=_LATER)

        self.refused(client, None, "Authorization: Bearer <token>", "govledger token create")
        self.refused(client, f"Basic {issued.secret}", "Authorization: Bearer")
        self.refused(client, "Bearer ", "Authorization: Bearer")
        self.refused(client, issued.secret, "Authorization: Bearer")

    def test_garbage_is_401_malformed(self, client: TestClient) -> None:
        for garbage in ("garbage", "gl_" + "x" * 60, "gl_0123456789ab_short"):
            detail = self.refused(client, f"Bearer {garbage}", "malformed")
            assert garbage not in detail

    def test_an_unknown_id_and_a_wrong_secret_are_401_alike(
        self, client: TestClient, store: TokenStore
    ) -> None:
        issued = store.issue("aud", label="", expires_at=_LATER)
        secret_part = issued.secret.removeprefix(f"gl_{issued.info.id}_")

        unknown = self.refused(client, f"Bearer gl_0123456789ab_{secret_part}", "not known")
        wrong = self.refused(client, f"Bearer gl_{issued.info.id}_{'A' * 43}", "not known")

        assert unknown == wrong
        assert secret_part not in unknown

    def test_an_expired_token_is_401_saying_when(
        self, client: TestClient, store: TokenStore
    ) -> None:
        issued = store.issue("aud", label="", expires_at=datetime.now(UTC) - timedelta(hours=1))

        detail = self.refused(client, f"Bearer {issued.secret}", f"token {issued.info.id}")

        assert "expired at" in detail
        assert issued.secret not in detail

    def test_a_revoked_token_is_401_saying_when(
        self, client: TestClient, store: TokenStore
    ) -> None:
        issued = store.issue("aud", label="", expires_at=_LATER)
        before = client.get(WHOAMI, headers={"Authorization": f"Bearer {issued.secret}"})
        store.revoke(issued.info.id)

        detail = self.refused(client, f"Bearer {issued.secret}", f"token {issued.info.id}")

        assert before.status_code == 200
        assert "was revoked at" in detail

    def test_a_token_of_an_unregistered_principal_is_401(
        self, client: TestClient, store: TokenStore
    ) -> None:
        issued = store.issue("ghost", label="", expires_at=_LATER)  # the CLI would refuse this

        self.refused(client, f"Bearer {issued.secret}", "'ghost' is not registered")

    def test_a_principal_whose_role_was_revoked_is_403_and_the_refusal_recorded(
        self, client: TestClient, store: TokenStore, people: Ledger
    ) -> None:
        issued: IssuedToken = store.issue("ex", label="", expires_at=_LATER)

        answer = client.get(WHOAMI, headers={"Authorization": f"Bearer {issued.secret}"})

        assert answer.status_code == 403, answer.text
        assert answer.json()["error"] == "not_authorized"
        assert "ex holds none of the roles" in answer.json()["detail"]
        size = projector(people).catch_up()
        refusals = search(read_view(people), size, "refusal", actor="ex")["rows"]
        assert [row["command"] for row in refusals] == ["read whoami"], refusals


class TestHttpAuthOnSQLite(HttpAuthContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestHttpAuthOnPostgres(HttpAuthContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
