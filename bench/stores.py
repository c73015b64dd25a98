"""The two stores under test, opened side by side on one engine: plain and signed.

The plain side is eventsourcing's own recorder; the signed side is built by the project's
composition code (keys, Alembic migrations, persistence environment), exactly as it ships.
Both run the same Application subclass, so the persistence is the only difference.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import quote
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from psycopg import sql

from api import migrations
from api.composition import keystore_for
from api.database import Database, parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings

__all__ = ["EngineUnavailableError", "Pair", "postgres_pair", "sqlite_pair"]

App = TypeVar("App", bound=Application[UUID])
AppFactory = Callable[[dict[str, str]], App]
"""Build the benchmark's application from an eventsourcing environment."""

_CONNECT_TIMEOUT_SECONDS = 5
_CREATE = sql.SQL("CREATE DATABASE {}")
_DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")


class EngineUnavailableError(Exception):
    """The engine cannot be benchmarked here (e.g. the PostgreSQL server is unreachable)."""


@dataclass(frozen=True)
class Pair(Generic[App]):
    """The same application over plain eventsourcing persistence and over the signed store."""

    plain: App
    signed: App


@contextmanager
def sqlite_pair(factory: AppFactory[App]) -> Iterator[Pair[App]]:
    """Plain and signed stores in two SQLite files of a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="govledger-bench-") as directory:
        root = Path(directory)
        plain_env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(root / "plain.db"),
        }
        with _opened(factory, plain_env, f"sqlite:///{root / 'signed.db'}", root) as pair:
            yield pair


@contextmanager
def postgres_pair(factory: AppFactory[App], admin_url: str) -> Iterator[Pair[App]]:
    """Plain and signed stores in two fresh PostgreSQL databases, dropped afterwards."""
    admin = _reachable(admin_url)
    suffix = uuid4().hex[:12]
    plain_name, signed_name = (f"govledger_bench_{side}_{suffix}" for side in ("plain", "signed"))
    plain_env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": plain_name,
        "POSTGRES_HOST": admin.host,
        "POSTGRES_PORT": str(admin.port),
        "POSTGRES_USER": admin.user,
        "POSTGRES_PASSWORD": admin.password,
        # The library's locking insert path, which the signed store always takes.
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
    }
    with ExitStack() as stack:
        directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="govledger-bench-"))
        for name in (plain_name, signed_name):
            _admin_execute(admin_url, _CREATE, name)
            stack.callback(_admin_execute, admin_url, _DROP, name)
        signed_url = _database_url(admin, signed_name)
        yield stack.enter_context(_opened(factory, plain_env, signed_url, Path(directory)))


@contextmanager
def _opened(
    factory: AppFactory[App], plain_env: dict[str, str], signed_url: str, root: Path
) -> Iterator[Pair[App]]:
    with ExitStack() as stack:
        plain = factory(plain_env)
        stack.callback(plain.close)
        signed = factory(_signed_env(signed_url, root / "home"))
        stack.callback(signed.close)
        yield Pair(plain=plain, signed=signed)


def _signed_env(database_url: str, home: Path) -> dict[str, str]:
    """What `govledger init` does (keys, migrations), then the store's environment."""
    settings = Settings(database_url=database_url, home=home, key_passphrase=None)
    database = parse_database_url(settings.database_url)
    keystore_for(settings).create_missing()
    migrations.upgrade(database)
    return database.persistence_env(settings)


def _reachable(admin_url: str) -> Database:
    try:
        admin = parse_database_url(admin_url)
        psycopg.connect(admin_url, connect_timeout=_CONNECT_TIMEOUT_SECONDS).close()
    except (ConfigurationError, psycopg.Error) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineUnavailableError(first_line) from None
    return admin


def _admin_execute(admin_url: str, statement: sql.SQL, database_name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(statement.format(sql.Identifier(database_name)))


def _database_url(admin: Database, name: str) -> str:
    credentials = quote(admin.user, safe="")
    if admin.password:
        credentials += ":" + quote(admin.password, safe="")
    return f"postgresql://{credentials}@{admin.host}:{admin.port}/{quote(name, safe='')}"
