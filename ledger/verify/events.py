"""Full verification of a signed store: signatures, per-aggregate chains and the leaf sequence.

Reads every leaf in index order with the event it names and reports each problem against the
row it concerns; nothing stops at the first failure, and nothing raises on a malformed row:
every row goes through ``open_event``, the application's own strict reading path, so what
verifies is exactly what the application reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import VerificationError
from ledger.keys.ed25519 import Keyring
from ledger.keys.history import KeyHistory
from ledger.merkle import leaf_hash
from ledger.store.log_entries import LogEntry, LogSource
from ledger.store.signed_event import (
    EventPayload,
    envelope_digest,
    open_event,
    stored_aggregate_id,
    stored_version,
)

__all__ = ["PAGE_SIZE", "Problem", "Report", "verify_store"]

PAGE_SIZE = 5000
"""Rows read per query unless ``verify_store`` is told otherwise."""

_LEAF_HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one event or leaf row.

    ``aggregate_id`` is canonical UUID text when the row's id is readable, else the stored
    value as text; ``version`` is None when the stored version is not a positive integer.
    """

    leaf_index: int | None
    aggregate_id: str
    version: int | None
    reason: str

    def __str__(self) -> str:
        where = "no leaf" if self.leaf_index is None else f"leaf {self.leaf_index}"
        version = "(version unreadable)" if self.version is None else f"version {self.version}"
        return f"{where}, aggregate {self.aggregate_id} {version}: {self.reason}"


@dataclass
class Report:
    """The outcome of a full verification."""

    leaves: int = 0
    keyids: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


@dataclass
class _ChainHead:
    version: int
    digest: str | None  # None once an event of the chain failed its own checks


def verify_store(
    source: LogSource, keyring: Keyring | KeyHistory, *, page_size: int = PAGE_SIZE
) -> Report:
    """Check every leaf, signature and chain in ``source`` against ``keyring``.

    Never raises on what the rows hold: a malformed row is a ``Problem`` naming it. Rows are
    read ``page_size`` at a time.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    if isinstance(keyring, Keyring):
        keyring = KeyHistory(keyring, {})  # published keys trusted only within their windows
    report = Report()
    heads: dict[str, _ChainHead] = {}
    expected_index = 0
    logged_events = 0
    while entries := source.select_log_entries(expected_index, page_size):
        for entry in entries:
            if entry.leaf_index != expected_index:
                _add(report, entry, f"leaves {expected_index}..{entry.leaf_index - 1} are missing")
            _check_entry(entry, keyring, heads, report)
            logged_events += entry.stored is not None
            expected_index = entry.leaf_index + 1
            report.leaves += 1
    # Looking for events without a leaf means an anti-join: only when the counts disagree.
    if source.count_events() != logged_events:
        _report_unlogged(source, report, page_size)
    return report


def _report_unlogged(source: LogSource, report: Report, page_size: int) -> None:
    offset = 0
    while unlogged := source.select_unlogged_events(offset, page_size):
        offset += len(unlogged)
        report.problems.extend(
            Problem(
                None,
                _id_text(s.originator_id),
                _version_or_none(s.originator_version),
                "stored event has no log leaf",
            )
            for s in unlogged
        )


def _check_entry(
    entry: LogEntry, keyring: KeyHistory, heads: dict[str, _ChainHead], report: Report
) -> None:
    try:
        aggregate_id = stored_aggregate_id(entry.originator_id)
        version = stored_version(entry.originator_version)
    except VerificationError as exc:
        # A leaf the application cannot attribute to a history: report it, chain nothing to it.
        _add(report, entry, f"leaf row: {exc}")
        return
    head = heads.get(aggregate_id)
    sound = _check_leaf_hash(entry, report)
    if entry.stored is None:
        _add(report, entry, "the stored event this leaf names is missing")
        heads[aggregate_id] = _ChainHead(version, None)
        return
    state = entry.stored.state
    try:
        payload = open_event(entry.stored, keyring)
    except VerificationError as exc:
        sound = _add(report, entry, str(exc))
    else:
        report.keyids.add(payload.keyid)
        sound = _check_chain(entry, version, payload.prev, head, report) and sound
        sound = _check_key_window(entry, payload, keyring, report) and sound
    heads[aggregate_id] = _ChainHead(version, envelope_digest(state) if sound else None)


def _check_key_window(
    entry: LogEntry, payload: EventPayload, history: KeyHistory, report: Report
) -> bool:
    """The signing key must be in force at this leaf; a rotation moves the windows on."""
    assert entry.stored is not None
    problem = history.signer_problem(payload.keyid, entry.leaf_index) or history.observe(
        entry.leaf_index, entry.stored, payload.state
    )
    return _add(report, entry, problem) if problem else True


def _check_leaf_hash(entry: LogEntry, report: Report) -> bool:
    stored_hash, state = entry.leaf_hash, entry.stored.state if entry.stored else None
    if not isinstance(stored_hash, bytes):
        return _add(report, entry, f"leaf hash is {type(stored_hash).__name__}, not 32 bytes")
    if len(stored_hash) != _LEAF_HASH_BYTES:
        return _add(report, entry, f"leaf hash is {len(stored_hash)} bytes, not 32")
    if isinstance(state, bytes) and leaf_hash(state) != stored_hash:
        return _add(report, entry, "leaf hash does not match the stored envelope")
    return True


def _check_chain(
    entry: LogEntry, version: int, prev: str | None, head: _ChainHead | None, report: Report
) -> bool:
    if head is None:
        if version != 1:
            return _add(
                report, entry, f"history starts at version {version}: earlier events are missing"
            )
        if prev is not None:
            return _add(report, entry, "first event names a previous event")
        return True
    if version != head.version + 1:
        return _add(
            report,
            entry,
            f"follows version {head.version} in the log; expected version {head.version + 1}",
        )
    if head.digest is not None and prev != head.digest:
        return _add(report, entry, "prev does not match the digest of the previous event")
    return True


def _add(report: Report, entry: LogEntry, reason: str) -> bool:
    report.problems.append(
        Problem(
            entry.leaf_index,
            _id_text(entry.originator_id),
            _version_or_none(entry.originator_version),
            reason,
        )
    )
    return False


def _id_text(originator_id: object) -> str:
    """Canonical UUID text for a readable id; otherwise the stored value's repr.

    The repr escapes control characters, so a hostile id cannot rewrite the report's lines.
    """
    try:
        return stored_aggregate_id(originator_id)
    except VerificationError:
        return repr(originator_id)


def _version_or_none(originator_version: object) -> int | None:
    try:
        return stored_version(originator_version)
    except VerificationError:
        return None
