"""Shared fixtures: settings on a temporary home, and real databases on both engines.

PostgreSQL is found through GOVLEDGER_TEST_POSTGRES_URL (a maintenance database the tests may
CREATE DATABASE from), or, when it is unset, the local default ``DEFAULT_POSTGRES_URL``. The
PostgreSQL tests run whenever that server accepts a login. When it does not, they fail under CI
and elsewhere skip, the run ending with one line that says why and how to enable them.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from api import migrations
from api.composition import keystore_for
from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings

POSTGRES_URL_VARIABLE = "GOVLEDGER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
"""Where a developer's local server answers with trust authentication (as .ci/run sets up)."""


def postgres_test_url() -> str:
    """The maintenance database of the PostgreSQL tests: the variable, else the local default."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


def _printable(url: str) -> str:
    """``url`` without its password, safe to show in a test report."""
    try:
        return parse_database_url(url).describe()
    except ConfigurationError:
        return "an unparsable URL"


@functools.cache
def postgres_problem() -> str | None:
    """Why the PostgreSQL tests cannot run (no login at the URL), or None when they can.

    Logging in, not only reaching the port, is the test: a server that answers but refuses the
    role or the database would otherwise fail every PostgreSQL test instead of skipping them.
    Cached, so a session tries once.
    """
    url = postgres_test_url()
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"cannot log in to {_printable(url)}: {reason}"
    return None


def _skip_line(problem: str) -> str:
    return (
        f"PostgreSQL tests skipped: {problem}; start a local server or set "
        f"{POSTGRES_URL_VARIABLE} to a database the tests may CREATE DATABASE from"
    )


def pytest_report_header() -> str:
    problem = postgres_problem()
    if problem is None:
        return f"PostgreSQL tests: running on {_printable(postgres_test_url())}"
    if os.environ.get("CI"):
        return f"PostgreSQL tests: FAILING, CI needs PostgreSQL ({problem})"
    return f"PostgreSQL tests: skipped ({problem})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    problem = postgres_problem()
    if problem is not None and not os.environ.get("CI"):
        terminalreporter.write_line(_skip_line(problem), yellow=True)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The maintenance database URL; fails under CI and skips elsewhere when unusable."""
    problem = postgres_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL: {problem}")
        pytest.skip(_skip_line(problem))
    return postgres_test_url()


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"govledger_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_database = parse_database_url(postgres_admin_url)
    credentials = admin_database.user + (
        f":{admin_database.password}" if admin_database.password else ""
    )
    yield f"postgresql://{credentials}@{admin_database.host}:{admin_database.port}/{name}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def make_settings(database_url: str, home: Path, passphrase: str | None = None) -> Settings:
    """Settings for a test, independent of the process environment."""
    return Settings(database_url=database_url, home=home, key_passphrase=passphrase)


def initialise(settings: Settings) -> Database:
    """What `govledger init` does: keys, then migrations."""
    database = parse_database_url(settings.database_url)
    keystore_for(settings).create_missing()
    migrations.upgrade(database)
    return database
