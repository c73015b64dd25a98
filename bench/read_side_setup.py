"""Fresh ledgers for the read side's benchmark, and the machine's signature verification ceiling.

``fresh_ledger`` opens a ledger as ``govledger init`` leaves it (keys, migrations) in a
temporary SQLite file or a new PostgreSQL database, dropped afterwards. ``verification_ceiling``
times the verification the projection worker runs on every entry (``open_event`` ends in the
keyring's Ed25519 ``verify``, from ``cryptography``) over real stored envelopes, on one core.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from urllib.parse import quote
from uuid import uuid4

import psycopg
from psycopg import sql

from api import migrations
from api.composition import Ledger, keystore_for, open_ledger
from api.database import parse_database_url
from api.errors import ConfigurationError
from api.settings import Settings
from ledger.encoding.dsse import Envelope, pae

__all__ = [
    "POSTGRES_URL_VARIABLE",
    "Ceiling",
    "EngineUnavailableError",
    "fresh_ledger",
    "settle",
    "verification_ceiling",
]

POSTGRES_URL_VARIABLE = "GOVLEDGER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CEILING_PASSES = 3


class EngineUnavailableError(Exception):
    """The engine cannot be benchmarked here (e.g. the PostgreSQL server is unreachable)."""


@dataclass(frozen=True)
class Ceiling:
    """Ed25519 verifications per second on one core, and the cores the machine has."""

    single_core: float
    cores: int
    envelopes: int

    @property
    def rate(self) -> float:
        """Verifications per second with every core busy."""
        return self.single_core * self.cores


@contextmanager
def fresh_ledger(engine: str) -> Iterator[Ledger]:
    """An initialised, empty ledger on ``engine`` (sqlite or postgresql), removed afterwards."""
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govledger-bench-")))
        if engine == "sqlite":
            url = f"sqlite:///{home / 'ledger.db'}"
        else:
            url = stack.enter_context(_fresh_postgres_database())
        settings = Settings(database_url=url, home=home / "home", key_passphrase=None)
        keystore_for(settings).create_missing()
        migrations.upgrade(parse_database_url(url))
        ledger = open_ledger(settings)
        stack.callback(ledger.close)
        yield ledger


def postgres_admin_url() -> str:
    """The maintenance database the benchmark creates its database from."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or DEFAULT_POSTGRES_URL


@contextmanager
def _fresh_postgres_database() -> Iterator[str]:
    admin_url = postgres_admin_url()
    try:
        admin = parse_database_url(admin_url)
        psycopg.connect(admin_url, connect_timeout=5).close()
    except (ConfigurationError, psycopg.Error) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineUnavailableError(first_line) from None
    name = f"govledger_bench_read_{uuid4().hex[:12]}"
    _admin_execute(admin_url, sql.SQL("CREATE DATABASE {}"), name)
    try:
        credentials = quote(admin.user, safe="")
        if admin.password:
            credentials += ":" + quote(admin.password, safe="")
        yield f"postgresql://{credentials}@{admin.host}:{admin.port}/{name}"
    finally:
        _admin_execute(admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"), name)


def settle(ledger: Ledger) -> None:
    """After a bulk load, bring PostgreSQL to the steady state a running ledger is in:
    ``VACUUM (ANALYZE)`` (visibility maps for index-only scans, statistics for the planner, what
    autovacuum does over time) and a ``CHECKPOINT`` (so the load's dirty pages are not flushed
    while the questions are timed). Nothing to do on SQLite."""
    if ledger.database.engine != "postgresql":
        return
    with psycopg.connect(ledger.database.libpq_conninfo(), autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        connection.execute("CHECKPOINT")


def _admin_execute(admin_url: str, statement: sql.SQL, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(statement.format(sql.Identifier(name)))


def verification_ceiling(ledger: Ledger, envelopes: int) -> Ceiling:
    """Verify the signatures of the first ``envelopes`` stored events in a loop on one core,
    with the keyring the ledger verifies with, ``CEILING_PASSES`` times; the fastest pass
    counts (a ceiling: other processes only ever slow it). Parsing is untimed."""
    keyring = ledger.keyring()
    signed: list[tuple[str, bytes, bytes]] = []
    for entry in ledger.log.select_log_entries(0, envelopes):
        if entry.stored is None or not isinstance(entry.stored.state, bytes):
            continue
        envelope = Envelope.from_json(entry.stored.state)
        signature = envelope.signatures[0]
        if signature.keyid in keyring.keys:
            message = pae(envelope.payload_type, envelope.payload)
            signed.append((signature.keyid, signature.sig, message))
    if not signed:
        raise ValueError("no stored envelope signed by a trusted key to verify")
    verify = keyring.verify
    fastest = float("inf")
    for _ in range(CEILING_PASSES):
        started = perf_counter()
        for keyid, signature_bytes, message in signed:
            verify(keyid, signature_bytes, message)
        fastest = min(fastest, perf_counter() - started)
    return Ceiling(len(signed) / fastest, os.cpu_count() or 1, len(signed))
