"""Checking log entries one at a time, in leaf order: what ``verify_store`` and the read side's
projection worker both run, so what the read side projects is exactly what verifies.

For every entry: the leaf's hash matches the stored envelope, the event opens strictly
(``open_event``: canonical envelope, one signature by a trusted key, payload for this row), its
signer is the key in force at that leaf, and it chains to the previous event of its aggregate.
A checker started at leaf 0 checks all of it. One resumed at a later leaf (a worker restarting
from its recorded position) has not read the earlier entries: it checks signatures against the
trusted keys, as the application does on every read, and chains from the first event of each
aggregate it reads; ``govledger replay`` and ``govledger verify`` read from leaf 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import VerificationError
from ledger.keys.history import KeyHistory
from ledger.merkle import leaf_hash
from ledger.store.log_entries import LogEntry
from ledger.store.signed_event import (
    EventPayload,
    envelope_digest,
    open_event,
    stored_aggregate_id,
    stored_version,
)

__all__ = ["EntryChecker", "Problem", "describe_id", "version_or_none"]

_LEAF_HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one event or leaf row.

    ``aggregate_id`` is canonical UUID text when the row's id is readable, else the stored
    value's repr; ``version`` is None when the stored version is not a positive integer.
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
class _ChainHead:
    version: int
    digest: str | None  # None once an event of the chain failed its own checks


class EntryChecker:
    """Checks entries handed to it in leaf order; remembers chain heads and key windows."""

    def __init__(self, keys: KeyHistory, *, start: int = 0) -> None:
        self._keys = keys
        self._resumed = start > 0
        self._heads: dict[str, _ChainHead] = {}
        self.next_index = start
        self.keyids: set[str] = set()

    def check(self, entry: LogEntry) -> tuple[EventPayload | None, list[Problem]]:
        """The entry's signed payload when nothing is wrong with it, and its problems.

        Never raises on what the row holds. A gap before the entry is a problem of the entry.
        """
        problems: list[Problem] = []
        if entry.leaf_index != self.next_index:
            gap = f"leaves {self.next_index}..{entry.leaf_index - 1} are missing"
            problems.append(_problem(entry, gap))
        self.next_index = entry.leaf_index + 1
        payload = self._check_entry(entry, problems)
        return (payload if not problems else None), problems

    def _check_entry(self, entry: LogEntry, problems: list[Problem]) -> EventPayload | None:
        try:
            aggregate_id = stored_aggregate_id(entry.originator_id)
            version = stored_version(entry.originator_version)
        except VerificationError as exc:
            # A leaf the application cannot attribute to a history: report it, chain nothing.
            problems.append(_problem(entry, f"leaf row: {exc}"))
            return None
        head = self._heads.get(aggregate_id)
        sound = _leaf_hash_problem(entry, problems)
        if entry.stored is None:
            problems.append(_problem(entry, "the stored event this leaf names is missing"))
            self._heads[aggregate_id] = _ChainHead(version, None)
            return None
        payload: EventPayload | None = None
        try:
            payload = open_event(entry.stored, self._keys)
        except VerificationError as exc:
            sound = _report(problems, entry, str(exc))
        else:
            self.keyids.add(payload.keyid)
            sound = self._chain(entry, version, payload.prev, head, problems) and sound
            sound = self._key_window(entry, payload, problems) and sound
        self._heads[aggregate_id] = _ChainHead(
            version, envelope_digest(entry.stored.state) if sound else None
        )
        return payload if sound else None

    def _key_window(self, entry: LogEntry, payload: EventPayload, problems: list[Problem]) -> bool:
        """The signing key must be in force at this leaf; a rotation moves the windows on."""
        if self._resumed:
            return True  # the windows before the start are unknown; the signature was checked
        assert entry.stored is not None
        problem = self._keys.signer_problem(payload.keyid, entry.leaf_index) or self._keys.observe(
            entry.leaf_index, entry.stored, payload.state
        )
        return _report(problems, entry, problem) if problem else True

    def _chain(
        self,
        entry: LogEntry,
        version: int,
        prev: str | None,
        head: _ChainHead | None,
        problems: list[Problem],
    ) -> bool:
        if head is None:
            return self._chain_start(entry, version, prev, problems)
        if version != head.version + 1:
            return _report(
                problems,
                entry,
                f"follows version {head.version} in the log; expected version {head.version + 1}",
            )
        if head.digest is not None and prev != head.digest:
            return _report(problems, entry, "prev does not match the digest of the previous event")
        return True

    def _chain_start(
        self, entry: LogEntry, version: int, prev: str | None, problems: list[Problem]
    ) -> bool:
        """The first event of an aggregate this checker reads."""
        if self._resumed and version > 1:
            return True  # its previous event lies before the start
        if version != 1:
            reason = f"history starts at version {version}: earlier events are missing"
            return _report(problems, entry, reason)
        if prev is not None:
            return _report(problems, entry, "first event names a previous event")
        return True


def _leaf_hash_problem(entry: LogEntry, problems: list[Problem]) -> bool:
    stored_hash, state = entry.leaf_hash, entry.stored.state if entry.stored else None
    if not isinstance(stored_hash, bytes):
        return _report(problems, entry, f"leaf hash is {type(stored_hash).__name__}, not 32 bytes")
    if len(stored_hash) != _LEAF_HASH_BYTES:
        return _report(problems, entry, f"leaf hash is {len(stored_hash)} bytes, not 32")
    if isinstance(state, bytes) and leaf_hash(state) != stored_hash:
        return _report(problems, entry, "leaf hash does not match the stored envelope")
    return True


def _report(problems: list[Problem], entry: LogEntry, reason: str) -> bool:
    problems.append(_problem(entry, reason))
    return False


def _problem(entry: LogEntry, reason: str) -> Problem:
    return Problem(
        entry.leaf_index,
        describe_id(entry.originator_id),
        version_or_none(entry.originator_version),
        reason,
    )


def describe_id(originator_id: object) -> str:
    """Canonical UUID text for a readable id; otherwise the stored value's repr.

    The repr escapes control characters, so a hostile id cannot rewrite a report's lines.
    """
    try:
        return stored_aggregate_id(originator_id)
    except VerificationError:
        return repr(originator_id)


def version_or_none(originator_version: object) -> int | None:
    """The stored version when it is a positive integer, else None."""
    try:
        return stored_version(originator_version)
    except VerificationError:
        return None
