"""Running the project's Alembic migrations from code (``govledger init`` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from alembic import command
from api.database import Database

__all__ = ["current_revision", "downgrade", "head_revision", "upgrade"]

_SCRIPT_LOCATION = Path(__file__).resolve().parent.parent / "alembic"


def _config(database: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    if database is not None:
        config.set_main_option("sqlalchemy.url", database.sqlalchemy_url().replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate ``database`` up to ``revision``."""
    command.upgrade(_config(database), revision)


def downgrade(database: Database, revision: str = "base") -> None:
    """Migrate ``database`` down to ``revision``."""
    command.downgrade(_config(database), revision)


def head_revision() -> str | None:
    """The newest migration shipped with this version of govledger."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The migration ``database`` is at, or None when it was never migrated."""
    engine = create_engine(database.sqlalchemy_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
