"""Waking the projection worker when the log grows: a subscription on PostgreSQL, polling on
SQLite.

Every ledger writer on PostgreSQL sends ``NOTIFY`` on the events table's channel inside its
append transaction (eventsourcing's recorder does; the signed one keeps it), so a worker that
``LISTEN``s wakes as soon as an append commits. SQLite has no such channel: the worker looks
again every ``interval`` seconds. Either way it also looks at least every ``interval`` seconds,
so a missed notification only delays it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
from psycopg import sql

from api.composition import Ledger

__all__ = ["wait_for_appends"]


def wait_for_appends(ledger: Ledger, stop: threading.Event, interval: float) -> Iterator[None]:
    """Yield whenever the log may have grown, until ``stop`` is set."""
    if ledger.database.engine != "postgresql":
        while not stop.wait(interval):
            yield
        return
    channel = getattr(ledger.recorder, "channel_name", "ledger_events")
    with psycopg.connect(ledger.database.libpq_conninfo(), autocommit=True) as connection:
        connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        while not stop.is_set():
            # Wake on the first notification, or after the interval at the latest.
            for _ in connection.notifies(timeout=interval, stop_after=1):
                pass
            if not stop.is_set():
                yield
