"""Running the project's Alembic migrations from code (``govledger init`` and the tests).

The migration scripts live in this package (``env.py``, ``versions/``), so an installed wheel
carries them: ``govledger init`` works from a non-editable install.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from api.database import Database
from api.errors import ConfigurationError

__all__ = ["current_revision", "downgrade", "head_revision", "upgrade"]

_SCRIPT_LOCATION = Path(__file__).resolve().parent


def _config(database: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPT_LOCATION))
    if database is not None:
        config.set_main_option("sqlalchemy.url", database.sqlalchemy_url().replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate ``database`` up to ``revision``; raise ConfigurationError when it cannot be."""
    with _migration_errors(database):
        command.upgrade(_config(database), revision)


def downgrade(database: Database, revision: str = "base") -> None:
    """Migrate ``database`` down to ``revision``."""
    with _migration_errors(database):
        command.downgrade(_config(database), revision)


def head_revision() -> str | None:
    """The newest migration shipped with this version of govledger."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(database: Database) -> str | None:
    """The migration ``database`` is at, or None when it was never migrated."""
    engine = create_engine(database.sqlalchemy_url(), poolclass=NullPool)
    try:
        with _migration_errors(database), engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@contextmanager
def _migration_errors(database: Database) -> Iterator[None]:
    """Translate Alembic and SQLAlchemy failures into one-line configuration errors."""
    try:
        yield
    except CommandError as exc:
        raise ConfigurationError(
            f"database {database.describe()} is at a schema this govledger does not know "
            f"({exc}): it belongs to another version or application; use a fresh database"
        ) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigurationError(
            f"cannot migrate database {database.describe()}: {reason}; govledger needs a "
            "database of its own (fix GOVLEDGER_DATABASE_URL or --db)"
        ) from None
