"""Shared fixtures: settings on a temporary home, and real databases on both engines.

PostgreSQL is found through GOVLEDGER_TEST_POSTGRES_URL (a maintenance database the tests may
CREATE DATABASE from). With CI set, a missing or unreachable server fails the run; elsewhere the
PostgreSQL tests skip with one line saying how to enable them.
"""

from __future__ import annotations

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
from api.settings import Settings

POSTGRES_URL_VARIABLE = "GOVLEDGER_TEST_POSTGRES_URL"
_ENABLE_HINT = (
    f"PostgreSQL tests skipped: set {POSTGRES_URL_VARIABLE}="
    "postgresql://postgres@127.0.0.1:5432/postgres to run them"
)


def _postgres_problem() -> str | None:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        return f"{POSTGRES_URL_VARIABLE} is not set"
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as exc:
        return f"cannot connect to {POSTGRES_URL_VARIABLE}: {exc}".splitlines()[0]
    return None


def pytest_report_header() -> str:
    problem = _postgres_problem()
    if problem is None:
        return "PostgreSQL tests: running"
    if os.environ.get("CI"):
        return f"PostgreSQL tests: FAILING, CI needs PostgreSQL ({problem})"
    return f"PostgreSQL tests: skipped ({problem})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if terminalreporter.stats.get("skipped") and not os.environ.get("CI"):
        terminalreporter.write_line(_ENABLE_HINT, yellow=True)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The maintenance database URL; fails under CI and skips elsewhere when unusable."""
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL: {problem}")
        pytest.skip(_ENABLE_HINT)
    return os.environ[POSTGRES_URL_VARIABLE]


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
