"""Full verification of a signed store: signatures, per-aggregate chains and the leaf sequence.

Reads every leaf in index order with the event it names and reports each problem against the
row it concerns; nothing stops at the first failure, and nothing raises on a malformed row:
every row goes through ``open_event``, the application's own strict reading path, so what
verifies is exactly what the application reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.keys.ed25519 import Keyring
from ledger.keys.history import KeyHistory
from ledger.store.log_entries import LogSource
from ledger.verify.stream import EntryChecker, Problem, describe_id, version_or_none

__all__ = ["PAGE_SIZE", "Problem", "Report", "verify_store"]

PAGE_SIZE = 5000
"""Rows read per query unless ``verify_store`` is told otherwise."""


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
    checker = EntryChecker(keyring)
    logged_events = 0
    while entries := source.select_log_entries(checker.next_index, page_size):
        for entry in entries:
            report.problems.extend(checker.check(entry)[1])
            logged_events += entry.stored is not None
            report.leaves += 1
    report.keyids = checker.keyids
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
                describe_id(s.originator_id),
                version_or_none(s.originator_version),
                "stored event has no log leaf",
            )
            for s in unlogged
        )
