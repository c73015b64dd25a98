"""Database URLs: parsing, safe descriptions and the eventsourcing persistence environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from eventsourcing.utils import resolve_topic
from pydantic import SecretStr, ValidationError

from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings
from ledger.store.postgres import SignedPostgresFactory
from ledger.store.sqlite import SignedSQLiteFactory

POSTGRES_URL = "postgresql://ledger:p%40ss%2Fw%3Ard@db.example.org:6543/gov%20ledger"


def settings(home: Path, passphrase: str | None = None, url: str = "sqlite:///x.db") -> Settings:
    secret = None if passphrase is None else SecretStr(passphrase)
    return Settings(database_url=url, home=home, key_passphrase=secret)


# Parsing


def test_parses_a_sqlite_url_with_a_relative_path() -> None:
    database = parse_database_url("sqlite:///.govledger/ledger.db")

    assert (database.engine, database.sqlite_path) == ("sqlite", Path(".govledger/ledger.db"))


def test_parses_a_sqlite_url_with_an_absolute_path() -> None:
    database = parse_database_url("sqlite:////var/lib/govledger/ledger.db")

    assert (database.engine, database.sqlite_path) == (
        "sqlite",
        Path("/var/lib/govledger/ledger.db"),
    )


def test_parses_every_part_of_a_postgresql_url_and_unescapes_them() -> None:
    database = parse_database_url(POSTGRES_URL)

    assert database == Database(
        url=POSTGRES_URL,
        engine="postgresql",
        host="db.example.org",
        port=6543,
        user="ledger",
        password="p@ss/w:rd",
        name="gov ledger",
    )


def test_accepts_the_postgres_spelling_of_the_scheme() -> None:
    database = parse_database_url("postgres://u:pw@localhost:5433/ledger")

    assert (database.engine, database.host, database.port, database.name) == (
        "postgresql",
        "localhost",
        5433,
        "ledger",
    )


def test_defaults_the_postgresql_port_to_5432() -> None:
    assert parse_database_url("postgresql://u@localhost/ledger").port == 5432


def test_parses_a_postgresql_url_without_credentials() -> None:
    database = parse_database_url("postgresql://localhost/ledger")

    assert (database.user, database.password) == ("", "")


@pytest.mark.parametrize(
    "url", ["mysql://u:p@host/db", "http://host/db", "ledger.db", "sqlite://ledger.db"]
)
def test_refuses_an_unknown_scheme_and_names_the_supported_ones(url: str) -> None:
    with pytest.raises(
        ConfigurationError,
        match=r"unsupported database URL scheme .* use sqlite:///path/ledger\.db or postgresql://",
    ):
        parse_database_url(url)


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite:///:memory:", "sqlite:///:memory:?x=1"])
def test_refuses_sqlite_without_a_file_path(url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"needs a file path, e\.g\. sqlite:///"):
        parse_database_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql:///ledger",
        "postgresql://u:p@:5432/ledger",
        "postgresql://localhost",
        "postgresql://localhost/",
        "postgresql://localhost:5432",
    ],
)
def test_refuses_postgresql_without_a_host_or_database_name(url: str) -> None:
    with pytest.raises(ConfigurationError, match="needs a host and a database name"):
        parse_database_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://localhost:port/ledger",
        "postgresql://localhost:99999/ledger",
        "postgresql://localhost:-1/ledger",
        "postgresql://localhost:0/ledger",
    ],
)
def test_refuses_a_bad_port(url: str) -> None:
    with pytest.raises(ConfigurationError, match="has an invalid port"):
        parse_database_url(url)


# Describing


def test_describes_a_postgresql_database_without_its_password() -> None:
    description = parse_database_url(POSTGRES_URL).describe()

    assert description == "postgresql://ledger@db.example.org:6543/gov ledger"
    assert "p@ss" not in description
    assert "p%40ss" not in description


def test_describes_a_sqlite_database_by_its_path() -> None:
    assert parse_database_url("sqlite:///data/ledger.db").describe() == "sqlite:///data/ledger.db"


def test_spells_the_url_for_sqlalchemy_with_the_psycopg_driver() -> None:
    assert parse_database_url(POSTGRES_URL).sqlalchemy_url() == (
        "postgresql+psycopg://ledger:p%40ss%2Fw%3Ard@db.example.org:6543/gov%20ledger"
    )
    assert parse_database_url("postgres://u@h/db").sqlalchemy_url() == "postgresql+psycopg://u@h/db"


# The persistence environment


def test_a_sqlite_environment_names_the_signed_sqlite_factory_and_file(tmp_path: Path) -> None:
    env = parse_database_url("sqlite:///data/ledger.db").persistence_env(settings(tmp_path))

    assert resolve_topic(env["PERSISTENCE_MODULE"]) is SignedSQLiteFactory
    assert env["SQLITE_DBNAME"] == "data/ledger.db"
    assert not any(key.startswith("POSTGRES_") for key in env)


def test_a_postgresql_environment_names_the_signed_postgres_factory_and_server(
    tmp_path: Path,
) -> None:
    env = parse_database_url(POSTGRES_URL).persistence_env(settings(tmp_path))

    assert resolve_topic(env["PERSISTENCE_MODULE"]) is SignedPostgresFactory
    postgres = {key: value for key, value in env.items() if key.startswith("POSTGRES_")}
    assert postgres == {
        "POSTGRES_DBNAME": "gov ledger",
        "POSTGRES_HOST": "db.example.org",
        "POSTGRES_PORT": "6543",
        "POSTGRES_USER": "ledger",
        "POSTGRES_PASSWORD": "p@ss/w:rd",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }


@pytest.mark.parametrize("url", [POSTGRES_URL, "postgres://u@h/db", "sqlite:///ledger.db"])
def test_never_enables_database_functions(url: str, tmp_path: Path) -> None:
    env = parse_database_url(url).persistence_env(settings(tmp_path))

    assert env.get("POSTGRES_ENABLE_DB_FUNCTIONS", "n") == "n"


def test_gives_the_home_as_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    env = parse_database_url("sqlite:///ledger.db").persistence_env(settings(Path("home")))

    assert env["GOVLEDGER_HOME"] == str(tmp_path.resolve() / "home")


def test_passes_the_key_passphrase_when_one_is_set(tmp_path: Path) -> None:
    env = parse_database_url(POSTGRES_URL).persistence_env(settings(tmp_path, "correct horse"))

    assert env["GOVLEDGER_KEY_PASSPHRASE"] == "correct horse"


def test_leaves_the_key_passphrase_out_when_none_is_set(tmp_path: Path) -> None:
    env = parse_database_url(POSTGRES_URL).persistence_env(settings(tmp_path, None))

    assert "GOVLEDGER_KEY_PASSPHRASE" not in env


# Settings


@pytest.mark.parametrize("url", ["mysql://x", "ledger.db", "sqlite://ledger.db"])
def test_settings_refuse_an_unsupported_database_url(url: str) -> None:
    with pytest.raises(ValidationError, match="unsupported database URL"):
        Settings(database_url=url)


def test_settings_do_not_show_the_key_passphrase(tmp_path: Path) -> None:
    configured = settings(tmp_path, "correct horse")

    assert "correct horse" not in repr(configured)
    assert "correct horse" not in str(configured)
