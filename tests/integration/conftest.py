"""Fixtures of the storage contract tests; each class supplies ``database_url``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.composition import Ledger, open_ledger
from api.database import Database
from api.settings import Settings
from tests.conftest import initialise, make_settings
from tests.integration.raw_access import RawAccess, raw_access_for


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings on the class's database and a temporary home."""
    return make_settings(database_url, tmp_path / "home")


@pytest.fixture
def database(settings: Settings) -> Database:
    """The database, initialised as `govledger init` does."""
    return initialise(settings)


@pytest.fixture
def ledger(settings: Settings, database: Database) -> Iterator[Ledger]:
    """The opened ledger, closed after the test."""
    opened = open_ledger(settings)
    yield opened
    opened.close()


@pytest.fixture
def raw(database: Database) -> RawAccess:
    """Raw SQL access to the database, as a superuser would have."""
    return raw_access_for(database)
