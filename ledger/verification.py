"""Full verification of a signed store: signatures, per-aggregate chains and the leaf sequence.

Reads every leaf in index order with the event it names and reports each problem against the
event it concerns; nothing stops at the first failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import VerificationError
from ledger.key_history import KeyHistory
from ledger.keys import Keyring
from ledger.log_entries import LogEntry, LogSource
from ledger.merkle import leaf_hash
from ledger.signed_event import EventPayload, envelope_digest, open_event

__all__ = ["Problem", "Report", "verify_store"]

_PAGE = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one event or leaf."""

    leaf_index: int | None
    aggregate_id: str
    version: int
    reason: str

    def __str__(self) -> str:
        where = "no leaf" if self.leaf_index is None else f"leaf {self.leaf_index}"
        return f"{where}, aggregate {self.aggregate_id} version {self.version}: {self.reason}"


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


def verify_store(source: LogSource, keyring: Keyring | KeyHistory) -> Report:
    """Check every leaf, signature and chain in ``source`` against ``keyring``."""
    if isinstance(keyring, Keyring):
        keyring = KeyHistory(keyring, {})  # published keys trusted only within their windows
    report = Report()
    heads: dict[str, _ChainHead] = {}
    expected_index = 0
    logged_events = 0
    while entries := source.select_log_entries(expected_index, _PAGE):
        for entry in entries:
            if entry.leaf_index != expected_index:
                _add(report, entry, f"leaves {expected_index}..{entry.leaf_index - 1} are missing")
            _check_entry(entry, keyring, heads, report)
            logged_events += entry.stored is not None
            expected_index = entry.leaf_index + 1
            report.leaves += 1
    # Looking for events without a leaf means an anti-join: only when the counts disagree.
    if source.count_events() != logged_events:
        _report_unlogged(source, report)
    return report


def _report_unlogged(source: LogSource, report: Report) -> None:
    offset = 0
    while unlogged := source.select_unlogged_events(offset, _PAGE):
        offset += len(unlogged)
        report.problems.extend(
            Problem(
                None, str(s.originator_id), s.originator_version, "stored event has no log leaf"
            )
            for s in unlogged
        )


def _check_entry(
    entry: LogEntry, keyring: KeyHistory, heads: dict[str, _ChainHead], report: Report
) -> None:
    aggregate_id = str(entry.originator_id)
    head = heads.get(aggregate_id)
    version = entry.originator_version
    if entry.stored is None:
        _add(report, entry, "the stored event this leaf names is missing")
        heads[aggregate_id] = _ChainHead(version, None)
        return
    state = entry.stored.state
    sound = True
    if leaf_hash(state) != entry.leaf_hash:
        sound = _add(report, entry, "leaf hash does not match the stored envelope")
    try:
        payload = open_event(entry.stored, keyring)
    except VerificationError as exc:
        sound = _add(report, entry, str(exc))
    else:
        report.keyids.add(payload.keyid)
        sound = _check_chain(entry, payload.prev, head, report) and sound
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


def _check_chain(
    entry: LogEntry, prev: str | None, head: _ChainHead | None, report: Report
) -> bool:
    version = entry.originator_version
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
        Problem(entry.leaf_index, str(entry.originator_id), entry.originator_version, reason)
    )
    return False
