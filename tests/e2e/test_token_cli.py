"""``govledger token create|list|revoke`` as an operator runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.database import parse_database_url
from api.tokens import TokenError, TokenStore
from tests.e2e.conftest import Cli, assert_one_line_error

_SECRET = re.compile(r"^gl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", re.MULTILINE)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """An initialised ledger (its first admin is ``admin``) on each engine."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=url)
    cli.ok("init")
    return cli


def _store(cli: Cli) -> TokenStore:
    assert cli.database_url is not None
    return TokenStore(parse_database_url(cli.database_url))


def test_create_prints_the_token_once_and_it_authenticates(cli: Cli) -> None:
    created = cli.ok("token", "create", "--principal", "admin", "--label", "ci runner")

    secrets = _SECRET.findall(created.stdout)
    assert len(secrets) == 1, created
    assert "shown only this once" in created.stdout
    assert "(ci runner)" in created.stdout
    assert _store(cli).authenticate(secrets[0]) == "admin"


def test_create_json_gives_the_token_and_the_default_lifetime(cli: Cli) -> None:
    document = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)

    expires = datetime.fromisoformat(document["expires_at"])
    assert _SECRET.fullmatch(document["token"])
    assert document["token"].startswith(f"gl_{document['id']}_")
    assert "shown only this once" in document["warning"]
    assert abs(expires - (datetime.now(UTC) + timedelta(days=90))) < timedelta(minutes=5)


def test_days_sets_the_lifetime(cli: Cli) -> None:
    document = json.loads(
        cli.ok("token", "create", "--principal", "admin", "--days", "2", "--json").stdout
    )

    expires = datetime.fromisoformat(document["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=5)


def test_list_shows_every_token_but_never_a_secret_or_hash(cli: Cli) -> None:
    first = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)
    second = json.loads(
        cli.ok("token", "create", "--principal", "admin", "--label", "b", "--json").stdout
    )

    listed = cli.ok("token", "list", "--json")
    table = cli.ok("token", "list", "--principal", "admin")

    tokens = json.loads(listed.stdout)["tokens"]
    assert [token["id"] for token in tokens] == [first["id"], second["id"]]
    assert set(tokens[0]) == {"id", "principal", "label", "created_at", "expires_at", "revoked_at"}
    for output in (listed.stdout, table.stdout):
        for issued in (first, second):
            assert issued["token"] not in output
            assert issued["token"].split("_", 2)[2] not in output
    assert first["id"] in table.stdout
    assert "valid" in table.stdout
    assert json.loads(cli.ok("token", "list", "--principal", "nobody", "--json").stdout) == {
        "tokens": []
    }


def test_revoke_ends_the_token_and_a_second_revoke_names_it(cli: Cli) -> None:
    issued = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)

    revoked = cli.ok("token", "revoke", issued["id"])
    again = cli.run("token", "revoke", issued["id"])

    assert f"revoked token {issued['id']} of 'admin'" in revoked.stdout
    assert_one_line_error(again, f"token {issued['id']} was already revoked")
    with pytest.raises(TokenError, match="revoked"):
        _store(cli).authenticate(issued["token"])
    listed = json.loads(cli.ok("token", "list", "--json").stdout)["tokens"]
    assert listed[0]["revoked_at"] is not None
    assert "revoked" in cli.ok("token", "list").stdout


def test_mistakes_are_one_line_errors(cli: Cli) -> None:
    assert_one_line_error(
        cli.run("token", "create", "--principal", "nobody"),
        "no principal named 'nobody'",
        "registered principals",
    )
    assert_one_line_error(cli.run("token", "revoke", "0123456789ab"), "no token 0123456789ab")
    assert_one_line_error(cli.run("token", "revoke", "gl_secret"), "12 hex digits")
    assert "gl_secret" not in cli.run("token", "revoke", "gl_secret").stderr
    assert_one_line_error(
        cli.run("token", "create", "--principal", "admin", "--label", "a\nb"), "--label"
    )
    bad_days = cli.run("token", "create", "--principal", "admin", "--days", "0")
    assert bad_days.status == 2
    assert "--days" in bad_days.stderr
    assert "Traceback" not in bad_days.stderr
    assert json.loads(cli.ok("token", "list", "--json").stdout) == {"tokens": []}
