"""Checking log entries one at a time, in leaf order: what ``verify_store`` and the read side's
projection worker both run, so what the read side projects is exactly what verifies.

For every entry: the leaf's hash matches the stored envelope, the event opens strictly
(``open_event``: canonical envelope, one signature by a trusted key, payload for this row), its
signer is the key in force at that leaf, and it chains to the previous event of its aggregate.
A checker that starts at a later leaf (a worker resuming from its recorded position) first
learns the key windows from the entries before it (leaf 0's signer and every key rotation, a
handful of reads) and, for the first event of each aggregate it meets, reads the previous
event's envelope to chain to: the same checks, without rereading the log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from ledger.errors import VerificationError
from ledger.keys.history import KEYS_AGGREGATE_ID, KeyHistory
from ledger.merkle import leaf_hash
from ledger.store.log_entries import LogEntry
from ledger.store.signed_event import (
    EventPayload,
    envelope_digest,
    open_event,
    stored_aggregate_id,
    stored_version,
)

__all__ = ["EarlierEntries", "EntryChecker", "Problem", "describe_id", "version_or_none"]

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


class EarlierEntries(Protocol):
    """What a checker starting after leaf 0 reads of the log before its start."""

    def select_log_entries(self, start: int, limit: int) -> Sequence[LogEntry]:
        """Leaves with ``leaf_index >= start`` in index order, at most ``limit``."""

    def leaf_of(self, originator_id: UUID, version: int) -> LogEntry | None:
        """The leaf of one stored event, with the event, or None."""

    def envelope_of(self, originator_id: UUID, version: int) -> bytes | None:
        """The stored envelope of one event, or None."""


class EntryChecker:
    """Checks entries handed to it in leaf order; remembers chain heads and key windows.

    Starting after leaf 0 needs ``earlier``; VerificationError when what it reads there (leaf 0
    or a key rotation) does not verify.
    """

    def __init__(
        self, keys: KeyHistory, *, start: int = 0, earlier: EarlierEntries | None = None
    ) -> None:
        self._keys = keys
        self._heads: dict[str, _ChainHead] = {}
        self._earlier = earlier if start > 0 else None
        self.next_index = start
        self.keyids: set[str] = set()
        if start > 0:
            if earlier is None:
                raise ValueError("a checker starting after leaf 0 needs the earlier entries")
            self._learn_key_windows(earlier, start)

    def _learn_key_windows(self, earlier: EarlierEntries, start: int) -> None:
        """Who signed leaf 0, and every rotation before ``start``, as a full pass learns them."""
        entries = [*earlier.select_log_entries(0, 1)]
        version = 1
        while (rotation := earlier.leaf_of(KEYS_AGGREGATE_ID, version)) is not None:
            if rotation.leaf_index >= start:
                break
            entries.append(rotation)
            version += 1
        for entry in entries:
            if entry.stored is None:
                raise VerificationError(f"leaf {entry.leaf_index} names a missing event")
            payload = open_event(entry.stored, self._keys)
            problem = self._keys.signer_problem(payload.keyid, entry.leaf_index)
            if entry.leaf_index > 0:
                problem = problem or self._keys.observe(
                    entry.leaf_index, entry.stored, payload.state
                )
                self._heads[payload.aggregate_id] = _ChainHead(
                    payload.version, envelope_digest(entry.stored.state)
                )
            if problem:
                raise VerificationError(f"leaf {entry.leaf_index}: {problem}")

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
        if self._earlier is not None and version > 1:
            return self._chain_to_earlier(entry, version, prev, problems)
        if version != 1:
            reason = f"history starts at version {version}: earlier events are missing"
            return _report(problems, entry, reason)
        if prev is not None:
            return _report(problems, entry, "first event names a previous event")
        return True

    def _chain_to_earlier(
        self, entry: LogEntry, version: int, prev: str | None, problems: list[Problem]
    ) -> bool:
        """Chain to the previous event, which lies before this checker's start: to its envelope
        as stored (that it has a leaf before the start is what ``verify`` checks)."""
        assert self._earlier is not None
        aggregate_id = UUID(stored_aggregate_id(entry.originator_id))
        envelope = self._earlier.envelope_of(aggregate_id, version - 1)
        if envelope is None:
            reason = f"follows version {version - 1}, which is missing: earlier events are missing"
            return _report(problems, entry, reason)
        if prev != envelope_digest(envelope):
            return _report(problems, entry, "prev does not match the digest of the previous event")
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
