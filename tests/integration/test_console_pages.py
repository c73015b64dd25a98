"""The auditor console's pages over HTTP, on SQLite and on PostgreSQL, over a scripted history.

- without the cookie every page redirects to the sign-in form; a reader's token signs in with
  an HttpOnly, SameSite=Strict cookie; a scoring client's or an unknown token is refused (401,
  the refusal recorded, the token never echoed); signing out forgets the cookie;
- the inventory and a model's page show the history as of the log size they name, and fewer
  versions as of an earlier size; approvals show a revoked one as revoked;
- the badge says verified, naming the latest checkpoint;
- an unknown model is 404, a bad ``as_of`` 422: a page with the message, never a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.composition import Ledger
from api.console.session import COOKIE
from api.http.app import create_app
from domain.rules.roles import Role
from projections.search_index import search
from tests.integration.raw_access import RawAccess
from tests.integration.read_side_history import (
    MODEL,
    History,
    SignedOrganisation,
    log_size,
    run_history,
)
from tests.integration.test_http_reads import issue_token, the_cli_answer
from tests.unit.fakes import FakeClock

SCORER = "scoring-app"
AUDITOR = "aud"


def versions_shown(page: str) -> list[str]:
    return re.findall(r'<span class="version">(v\d+)</span>', page)


def approval_statuses(page: str) -> list[str]:
    return re.findall(r'<td class="status-(\w+)">', page)


def message_of(page: str) -> str:
    found = re.search(r'id="message">([^<]*)<', page)
    assert found is not None, page[:2000]
    return found.group(1)


class ConsolePagesContract:
    """The console on every engine; subclasses provide ``database_url``."""

    @pytest.fixture
    def history(self, ledger: Ledger, tmp_path: Path) -> History:
        org = SignedOrganisation(ledger.application, FakeClock(), tmp_path / "people")
        ledger.application.register_principal(
            actor="root", name=SCORER, roles=[Role.SCORING_CLIENT]
        )
        history = run_history(org, ledger)
        ledger.checkpointer.cut()
        return history

    @pytest.fixture
    def client(self, ledger: Ledger, history: History) -> Iterator[TestClient]:
        app = create_app(ledger.settings, opened=ledger)
        with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
            yield client

    def sign_in(self, client: TestClient, ledger: Ledger, principal: str = AUDITOR) -> str:
        token = issue_token(ledger, principal)
        answer = client.post("/console/login", data={"token": token})
        assert answer.status_code == 303, answer.text
        return token

    def test_pages_redirect_to_sign_in_without_the_cookie(self, client: TestClient) -> None:
        for url in ("/console/", f"/console/models/{MODEL}", "/console/verify"):
            answer = client.get(url)

            assert answer.status_code == 303, url
            assert answer.headers["location"] == "/console/login"
        form = client.get("/console/login")
        assert form.status_code == 200
        assert 'name="token"' in form.text
        assert form.headers["content-security-policy"].startswith("default-src 'self'")

    def test_a_reader_signs_in_with_a_strict_http_only_cookie(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        token = issue_token(ledger, AUDITOR)
        answer = client.post("/console/login", data={"token": token})

        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/"
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}={token};")
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert client.get("/console/").status_code == 200

        out = client.post("/console/logout")
        assert out.status_code == 303
        assert client.get("/console/").status_code == 303

    def test_a_scoring_client_or_a_bad_token_is_refused(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        scorer = issue_token(ledger, SCORER)
        for token in (scorer, "gl_0123456789ab_" + "A" * 43, "not a token", ""):
            answer = client.post("/console/login", data={"token": token})

            assert answer.status_code == 401, token
            assert "set-cookie" not in answer.headers
            if token:
                assert token not in answer.text
        assert "scoring client" in message_of(
            client.post("/console/login", data={"token": scorer}).text
        )
        client.cookies.set(COOKIE, scorer)
        assert client.get("/console/").status_code == 303
        refusals = the_cli_answer(
            ledger,
            None,
            lambda view, size: search(
                view,
                size,
                "refusal",
                model=None,
                actor=SCORER,
                since=None,
                until=None,
                limit=100,
                offset=0,
            ),
        )
        assert "sign in to the console" in json.dumps(refusals["rows"])

    def test_the_pages_show_the_history_as_of_the_size_they_name(
        self, client: TestClient, ledger: Ledger, history: History
    ) -> None:
        self.sign_in(client, ledger)
        size = log_size(ledger)

        inventory = client.get("/console/")
        assert inventory.status_code == 200
        assert f'href="/console/models/{MODEL}"' in inventory.text
        assert f'<b id="log-size">{size}</b>' in inventory.text

        page = client.get(f"/console/models/{MODEL}")
        assert page.status_code == 200, page.text
        assert versions_shown(page.text) == ["v1", "v2", "v3"]
        nodes = re.findall(r'<g class="node" data-type="model_version"', page.text)
        assert len(nodes) == 3
        assert page.text.count('<g class="edge"') >= 6
        statuses = approval_statuses(page.text)
        assert statuses.count("revoked") >= 1
        assert statuses.count("valid") >= 2
        assert "rolled back" in page.text or "RolledBack" in page.text

        early = history.sizes["v1_in_prod"]
        past = client.get(f"/console/models/{MODEL}?as_of={early}")
        assert past.status_code == 200
        assert f'<b id="log-size">{early}</b>' in past.text
        assert versions_shown(past.text) == ["v1"]
        assert approval_statuses(past.text) == ["valid", "valid"]

    def test_the_badge_names_the_latest_checkpoint_verified(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        self.sign_in(client, ledger)
        with ledger.tree.reading() as c:
            latest = ledger.tree.latest_checkpoint(c)
        assert latest is not None

        page = client.get("/console/verify")

        assert page.status_code == 200
        assert f"✔ verified: checkpoint {latest.size}" in page.text
        assert "not verified" not in page.text

    def test_the_badge_says_not_verified_when_the_stored_root_differs(
        self, client: TestClient, ledger: Ledger, raw: RawAccess
    ) -> None:
        self.sign_in(client, ledger)
        assert "✔ verified" in client.get("/console/verify").text
        raw.execute(
            "UPDATE ledger_checkpoints SET root_hash = ? WHERE tree_size = "
            "(SELECT MAX(tree_size) FROM ledger_checkpoints)",
            [bytes(32)],
            bypass_append_only=True,
        )

        page = client.get("/console/verify")

        assert page.status_code == 200
        assert "✘ not verified" in page.text
        assert "does not match the stored tree" in page.text

    @pytest.mark.parametrize(
        ("url", "status", "fragment"),
        [
            ("/console/models/nope", 404, "no model &#39;nope&#39;"),
            (f"/console/models/{MODEL}?as_of=999999", 422, "give 0.."),
            ("/console/?as_of=yesterday", 422, "not an RFC 3339 time"),
            ("/console/?as_of=" + "9" * 80, 422, "as_of is 80 characters"),
        ],
    )
    def test_bad_requests_are_pages_saying_what_to_fix(
        self, client: TestClient, ledger: Ledger, url: str, status: int, fragment: str
    ) -> None:
        self.sign_in(client, ledger)

        answer = client.get(url)

        assert answer.status_code == status, answer.text
        assert fragment in message_of(answer.text)
        assert answer.headers["content-type"].startswith("text/html")


class TestConsolePagesOnSQLite(ConsolePagesContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestConsolePagesOnPostgres(ConsolePagesContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
