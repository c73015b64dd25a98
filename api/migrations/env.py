"""Alembic environment: the database URL comes from govledger's Settings, never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from api.database import parse_database_url
from api.settings import get_settings


def _url() -> str:
    configured = context.config.get_main_option("sqlalchemy.url")
    return configured or parse_database_url(get_settings().database_url).sqlalchemy_url()


def run_migrations_offline() -> None:
    context.configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
