"""From a database URL to the eventsourcing persistence environment, and connection checks.

The environment is always derived from ``Settings``; nobody types eventsourcing keys by hand.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg

from api.errors import ConfigurationError
from api.settings import Settings
from ledger.keys.keystore import HOME_KEY, PASSPHRASE_KEY
from ledger.store.components import EVERY_LEAVES_KEY, EVERY_SECONDS_KEY, ORIGIN_KEY

__all__ = ["Database", "parse_database_url"]

_SQLITE_FACTORY = "ledger.store.sqlite:SignedSQLiteFactory"
_POSTGRES_FACTORY = "ledger.store.postgres:SignedPostgresFactory"
_CONNECT_TIMEOUT_SECONDS = 5


@dataclass(frozen=True)
class Database:
    """A parsed database URL."""

    url: str
    engine: str  # "sqlite" or "postgresql"
    sqlite_path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    name: str = ""

    def sqlalchemy_url(self) -> str:
        """The URL in SQLAlchemy's spelling (for Alembic)."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]

    def describe(self) -> str:
        """The URL without its password, safe to print."""
        if self.engine == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.name}"

    def persistence_env(self, settings: Settings) -> dict[str, str]:
        """The eventsourcing environment for the signed store on this database."""
        env = {
            HOME_KEY: str(settings.home.resolve()),
            ORIGIN_KEY: settings.log_origin,
            EVERY_LEAVES_KEY: str(settings.checkpoint_every_leaves),
            EVERY_SECONDS_KEY: str(settings.checkpoint_every_seconds),
        }
        if settings.key_passphrase is not None:
            env[PASSPHRASE_KEY] = settings.key_passphrase.get_secret_value()
        if self.engine == "sqlite":
            env.update(PERSISTENCE_MODULE=_SQLITE_FACTORY, SQLITE_DBNAME=str(self.sqlite_path))
            return env
        env.update(
            PERSISTENCE_MODULE=_POSTGRES_FACTORY,
            POSTGRES_DBNAME=self.name,
            POSTGRES_HOST=self.host,
            POSTGRES_PORT=str(self.port),
            POSTGRES_USER=self.user,
            POSTGRES_PASSWORD=self.password,
            POSTGRES_CONNECT_TIMEOUT=str(_CONNECT_TIMEOUT_SECONDS),
            POSTGRES_ENABLE_DB_FUNCTIONS="n",
        )
        return env

    def check_reachable(self, *, create: bool = False) -> None:
        """Raise ConfigurationError unless the database accepts a connection.

        A SQLite file is created only when ``create`` is set (``govledger init``), so a mistyped
        path is reported rather than silently becoming a new, empty ledger.
        """
        if self.engine == "sqlite":
            self._check_sqlite(create=create)
            return
        try:
            psycopg.connect(self.libpq_conninfo(), connect_timeout=_CONNECT_TIMEOUT_SECONDS).close()
        except psycopg.Error as exc:
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            raise ConfigurationError(
                f"cannot connect to {self.describe()}: {first_line}; check the server is running "
                "and GOVLEDGER_DATABASE_URL (or --db)"
            ) from None

    def _check_sqlite(self, *, create: bool) -> None:
        path = self.sqlite_path
        assert path is not None
        if not path.parent.is_dir():
            raise ConfigurationError(
                f"directory {path.parent} does not exist: create it or fix "
                "GOVLEDGER_DATABASE_URL (or --db)"
            )
        if not create and not path.exists():
            raise ConfigurationError(
                f"SQLite database {path} is not initialised (no such file): run "
                "`govledger init` or fix GOVLEDGER_DATABASE_URL (or --db)"
            )
        try:
            connection = sqlite3.connect(path)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"cannot use SQLite database {path}: {exc}; fix GOVLEDGER_DATABASE_URL (or --db)"
            ) from None

    def libpq_conninfo(self) -> str:
        """A libpq connection string for this PostgreSQL database."""
        return psycopg.conninfo.make_conninfo(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.name,
        )


def parse_database_url(url: str) -> Database:
    """Parse ``sqlite:///path`` or ``postgresql://user:pass@host:port/db``."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path.startswith(":memory:"):
            raise ConfigurationError(
                "GOVLEDGER_DATABASE_URL needs a file path, e.g. sqlite:///.govledger/ledger.db"
            )
        return Database(url=url, engine="sqlite", sqlite_path=Path(path))
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigurationError(
            f"unsupported database URL scheme {parts.scheme!r} in GOVLEDGER_DATABASE_URL: use "
            "sqlite:///path/ledger.db or postgresql://user:pass@host:port/db"
        )
    try:
        port = 5432 if parts.port is None else parts.port
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise ConfigurationError(
            "GOVLEDGER_DATABASE_URL has an invalid port: use postgresql://user:pass@host:port/db"
        )
    name = parts.path.lstrip("/")
    if not parts.hostname or not name:
        raise ConfigurationError(
            "GOVLEDGER_DATABASE_URL needs a host and a database name: "
            "postgresql://user:pass@host:port/db"
        )
    return Database(
        url=url,
        engine="postgresql",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        name=unquote(name),
    )
