"""The read side composed over an opened ledger: its store, worker, view and cited answers.

Every answer says which log it reflects: ``log: {size, root}`` (the root in the base64 the
signed checkpoints print, so it can be compared with a checkpoint or a consistency proof) and
the ``as_of`` asked for; every row in it cites the leaves of its source events.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from api.composition import Ledger
from projections.deployments import deployments
from projections.errors import AsOfError, NotCaughtUpError
from projections.read_state import ReadView
from projections.registry import read_models
from projections.store.check import differences, stored_rows
from projections.store.sql_view import SqlReadView
from projections.store.tracking import (
    READ_TABLES,
    PostgresReadSideRecorder,
    ReadSideRecorder,
    SQLiteReadSideRecorder,
)
from projections.times import parse_time
from projections.worker import DEFAULT_BATCH, Projector, rebuild_in_memory

__all__ = [
    "Query",
    "check_read_side",
    "cited_answer",
    "clear_read_side",
    "projector",
    "read_recorder",
    "resolve_as_of",
]

Query = Callable[[ReadView, int], dict[str, Any]]


def read_recorder(ledger: Ledger) -> ReadSideRecorder:
    """The read side's recorder, on the ledger's own database connections."""
    datastore = ledger.recorder.datastore
    if isinstance(datastore, SQLiteDatastore):
        return SQLiteReadSideRecorder(datastore)
    assert isinstance(datastore, PostgresDatastore)
    return PostgresReadSideRecorder(datastore)


def projector(ledger: Ledger, *, batch_size: int = DEFAULT_BATCH) -> Projector:
    """The worker that projects the ledger's verified log into every read model."""
    mapper = ledger.application.mapper
    return Projector(
        recorder=read_recorder(ledger),
        log=ledger.recorder,
        keys=ledger.key_history,
        decode=mapper.decode_payload,  # type: ignore[attr-defined]
        projections=read_models(),
        batch_size=batch_size,
    )


def check_read_side(ledger: Ledger) -> tuple[int, int, list[str]]:
    """Rebuild every read model in memory from the verified log up to the stored position and
    compare it with the stored rows: (position, rows compared, differences)."""
    stored = stored_rows(read_recorder(ledger))
    position = int(str(stored[-1][1]))
    rebuilt = rebuild_in_memory(
        log=ledger.log,
        keys=ledger.key_history,
        decode=ledger.application.mapper.decode_payload,  # type: ignore[attr-defined]
        projections=read_models(),
        until=position,
    )
    return position, len(stored), differences(rebuilt, stored)


def live_summary(ledger: Ledger, model: str) -> str:
    """Project what the log added, then say in one line where ``model`` runs and on whose
    approval, citing leaves (what the demo prints at its end)."""
    position = projector(ledger).catch_up()
    rows = deployments(read_view(ledger), position, model)["rows"]
    live = [row for row in rows if row["environment"] == "prod"] or rows
    if not live:
        return f"read side at log size {position}: {model} runs nowhere"
    row = live[0]
    approvals = ", ".join(f"{a['approver']} [leaf {a['leaf']}]" for a in row["approvals"])
    return (
        f"read side at log size {position}: {model} v{row['version']} runs in "
        f"{row['environment']} since leaf {row['since_leaf']}"
        + (f", approved by {approvals}" if approvals else "")
        + f"; `govledger why {model}` cites every statement"
    )


def clear_read_side(ledger: Ledger) -> None:
    """Empty every read model and the recorded position, in one transaction."""
    recorder = read_recorder(ledger)
    with recorder.writing() as cursor:
        for table in (*READ_TABLES, recorder.tracking_table):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (the project's table names)


def log_size(ledger: Ledger) -> int:
    """The number of leaves in the ledger's log."""
    tree = ledger.tree
    with tree.reading() as c:
        return tree.log_size(c)


def resolve_as_of(text: str | None, view: ReadView, ledger: Ledger) -> int:
    """The log size ``as_of`` names: the read side's position when None, a log size given as
    digits, or the size at an RFC 3339 time. AsOfError or NotCaughtUpError say what to fix."""
    processed = view.size()
    if text is None:
        return processed
    if text.strip().isdigit():
        size = int(text)
        if size <= processed:
            return size
        total = log_size(ledger)
        if size > total:
            raise AsOfError(f"--as-of {size}: the log has {total} entries; give 0..{total}")
        raise _behind(processed, total)
    try:
        time = parse_time(text)
    except ValueError as exc:
        raise AsOfError(f"--as-of: {exc}, or give a log size") from None
    size = view.size_at(time)
    total = log_size(ledger)
    if size == processed and processed < total:
        raise _behind(processed, total)  # later events may have been recorded by then
    return size


def replay_bound(ledger: Ledger, as_of_text: str | None) -> tuple[int | None, str | None]:
    """Where ``replay --as-of`` stops: (a log size, None) or (None, a time); (None, None) for
    the whole log. AsOfError says what to fix."""
    if as_of_text is None:
        return None, None
    if as_of_text.strip().isdigit():
        size, total = int(as_of_text), log_size(ledger)
        if size > total:
            raise AsOfError(f"--as-of {size}: the log has {total} entries; give 0..{total}")
        return size, None
    try:
        return None, parse_time(as_of_text)
    except ValueError as exc:
        raise AsOfError(f"--as-of: {exc}, or give a log size") from None


def _behind(processed: int, total: int) -> NotCaughtUpError:
    return NotCaughtUpError(
        f"the read side has projected {processed} of {total} log entries: run "
        "`govledger project` (or keep `govledger project --follow` running)"
    )


def cited_answer(
    ledger: Ledger, view: ReadView, as_of_text: str | None, query: Query
) -> dict[str, Any]:
    """Run ``query`` as of ``as_of_text`` and state the log size and root it reflects."""
    with view.session():
        size = resolve_as_of(as_of_text, view, ledger)
        result = query(view, size)
    tree = ledger.tree
    with tree.reading() as c:
        root = tree.root_at(c, size)
    return {
        "log": {"size": size, "root": base64.b64encode(root).decode("ascii")},
        "as_of": as_of_text if as_of_text is not None else "latest",
        **result,
    }


def read_view(ledger: Ledger) -> SqlReadView:
    """The read side as queries see it."""
    return SqlReadView(read_recorder(ledger))
