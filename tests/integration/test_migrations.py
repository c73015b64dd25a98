"""Alembic owns every table: migrations run up, down and up again on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from api import migrations
from api.composition import keystore_for, open_ledger
from api.database import Database, parse_database_url
from api.database_roles import API_TOKEN_TABLES
from api.errors import ConfigurationError
from api.settings import Settings
from ledger.verify.events import verify_store
from projections.store.tracking import (
    POSTGRES_TRACKING_TABLE,
    READ_TABLES,
    SQLITE_TRACKING_TABLE,
)
from tests.conftest import make_settings
from tests.integration.raw_access import RawAccess, raw_access_for
from tests.integration.test_signed_store import add_versions

LEDGER_TABLES = ("ledger_events", "ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints")
OWNED_TABLES = (*LEDGER_TABLES, *READ_TABLES, *API_TOKEN_TABLES)


class MigrationContract:
    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        settings = make_settings(database_url, tmp_path / "home")
        keystore_for(settings).create_missing()
        return settings

    @pytest.fixture
    def database(self, settings: Settings) -> Database:
        return parse_database_url(settings.database_url)

    @pytest.fixture
    def raw(self, database: Database) -> RawAccess:
        return raw_access_for(database)

    def tables(self, raw: RawAccess) -> set[str]:
        """Names of the tables that exist (engine-specific catalog query)."""
        return {str(name) for (name,) in raw.execute(self.tables_query)}

    tables_query: str
    tracking_table: str

    def test_upgrade_creates_the_tables_and_downgrade_removes_them(
        self, database: Database, raw: RawAccess
    ) -> None:
        assert migrations.current_revision(database) is None

        migrations.upgrade(database)
        assert migrations.current_revision(database) == migrations.head_revision()
        assert {*OWNED_TABLES, self.tracking_table} <= self.tables(raw)

        migrations.downgrade(database)
        assert migrations.current_revision(database) is None
        assert not {*OWNED_TABLES, self.tracking_table} & self.tables(raw)

    def test_the_store_works_after_up_down_up(
        self, database: Database, settings: Settings, raw: RawAccess
    ) -> None:
        migrations.upgrade(database)
        migrations.downgrade(database)
        migrations.upgrade(database)

        ledger = open_ledger(settings)
        try:
            add_versions(ledger.application, "credit", 2)
            report = verify_store(ledger.log, ledger.keyring())
        finally:
            ledger.close()

        assert report.intact
        assert report.leaves == 3
        with pytest.raises(Exception, match="append-only"):
            raw.execute("DELETE FROM ledger_leaves")

    def test_an_unmigrated_database_is_refused_with_a_hint(self, settings: Settings) -> None:
        with pytest.raises(ConfigurationError, match="run `govledger init`"):
            open_ledger(settings)


class TestMigrationsOnSQLite(MigrationContract):
    tables_query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    tracking_table = SQLITE_TRACKING_TABLE

    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestMigrationsOnPostgres(MigrationContract):
    tables_query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    tracking_table = POSTGRES_TRACKING_TABLE

    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
