"""Checking an evidence bundle's signed parts offline: from its files alone, trusting its keys.

A bundle holds a sparse, proven subset of the log: whole histories of some aggregates, the key
history's every event, and leaf 0. ``check_signed_parts`` checks the manifest against every file,
the checkpoint against the log key, each event as strictly as the full verifier (``open_event``,
key windows, per-aggregate chains) and each event's inclusion in the checkpoint. It reports every
problem with the file it concerns and never raises on what the files hold.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from uuid import UUID

from cryptography.exceptions import UnsupportedAlgorithm
from eventsourcing.persistence import StoredEvent

from ledger.encoding.dsse import Envelope
from ledger.errors import KeyStoreError, VerificationError
from ledger.evidence.lines import ProofLine, parse_event_line, parse_proof_line, split_lines
from ledger.evidence.statement import MANIFEST_NAME, Manifest, open_manifest
from ledger.keys.ed25519 import Keyring, keyid_of, public_key_from_pem
from ledger.keys.history import LOG_KEY_ROTATED, KeyHistory, Rotation, parse_rotation
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.store.signed_event import EventPayload, envelope_digest, open_event
from ledger.tlog.checkpoint import Checkpoint, open_checkpoint
from ledger.tlog.note import NoteVerifier

__all__ = [
    "CHECKPOINT",
    "EVENTS",
    "EVENT_KEYS_DIR",
    "LOG_VKEY",
    "MANIFEST",
    "PROOFS",
    "BundleProblem",
    "SignedParts",
    "VerifiedEvent",
    "check_signed_parts",
]

MANIFEST = MANIFEST_NAME
CHECKPOINT = "checkpoint.txt"
LOG_VKEY = "keys/log.vkey"
EVENT_KEYS_DIR = "keys/event-signers"  # <hex>.pem: the key sha256:<hex> (``keyid_of``)
EVENTS = "events.jsonl"
PROOFS = "proofs.jsonl"
_KEYID_PREFIX = "sha256:"


@dataclass(frozen=True, slots=True)
class BundleProblem:
    """One thing wrong with a bundle, and the file it concerns."""

    file: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """An event that opened strictly, in its key window and chain, proven in the checkpoint."""

    leaf_index: int
    envelope: bytes
    payload: EventPayload


@dataclass
class SignedParts:
    """What the check found: every problem, and what verified (None when it did not)."""

    problems: list[BundleProblem]
    checkpoint: Checkpoint | None
    checkpoint_note: str | None
    manifest: Manifest | None
    events: list[VerifiedEvent]


@dataclass
class _EventLine:
    """An event line that parsed, and what the checks made of it so far."""

    number: int
    leaf_index: int
    envelope: bytes
    payload: EventPayload | None = None
    sound: bool = True


@dataclass
class _ChainHead:
    version: int
    digest: str | None  # None once an event of the chain failed its own checks


@dataclass
class _Report:
    problems: list[BundleProblem] = field(default_factory=list)

    def add(self, file: str, detail: str) -> None:
        self.problems.append(BundleProblem(file, detail))


def check_signed_parts(
    files: Mapping[str, bytes], *, trusted_vkey: str | None = None
) -> SignedParts:
    """Check a bundle's manifest, checkpoint, events and proofs; see the module docstring.

    ``files`` maps every file's relative path (``/`` separators) to its bytes, the manifest
    included. With ``trusted_vkey`` the checkpoint must be signed by that log key, whatever
    ``keys/log.vkey`` says; without it, the bundle's own log key is taken on trust.
    ``events`` are the events with no problem of their own, proven in the verified checkpoint
    (none without one); a problem of the manifest or of another file does not withhold them.
    """
    report = _Report()
    keyring = _event_keyring(files, report)
    manifest = _manifest(files, keyring, report)
    verifier = _log_verifier(files, trusted_vkey, report)
    checkpoint, note = _checkpoint(files, verifier, report)
    lines = _event_lines(files, checkpoint, report)
    rotations = _check_events(lines, keyring, report)
    if checkpoint is not None and verifier is not None:
        _log_key_in_force(rotations, checkpoint, verifier, report)
    _check_proofs(files, lines, checkpoint, report)
    events = [
        VerifiedEvent(line.leaf_index, line.envelope, line.payload)
        for line in lines
        if line.sound and line.payload is not None and checkpoint is not None
    ]
    return SignedParts(report.problems, checkpoint, note, manifest, events)


def _event_keyring(files: Mapping[str, bytes], report: _Report) -> Keyring:
    """The bundle's event-signing keys: each ``<hex>.pem`` must hold the key ``sha256:<hex>``.

    The hex digits alone make a file name every file system accepts; ``sha256:<hex>.pem`` is
    read too.
    """
    keys = []
    prefix = f"{EVENT_KEYS_DIR}/"
    for name in sorted(files):
        if not name.startswith(prefix):
            continue
        stem = name.removeprefix(prefix).removesuffix(".pem")
        if not name.endswith(".pem") or "/" in stem:
            report.add(name, f"is not a key file: {EVENT_KEYS_DIR} holds only <hex keyid>.pem")
            continue
        try:
            key = public_key_from_pem(files[name])
        except (KeyStoreError, UnsupportedAlgorithm) as exc:
            report.add(name, f"is not an Ed25519 public key PEM: {exc}")
            continue
        if keyid_of(key) not in (f"{_KEYID_PREFIX}{stem}", stem):
            report.add(name, f"holds key {keyid_of(key)}, not the key its file name gives")
            continue
        keys.append(key)
    if not keys:
        report.add(EVENT_KEYS_DIR, "holds no event-signing key: no signature can be checked")
    return Keyring(keys)


def _manifest(files: Mapping[str, bytes], keyring: Keyring, report: _Report) -> Manifest | None:
    """Open the manifest; its subjects must be exactly the other files, with their digests."""
    data = files.get(MANIFEST)
    if data is None:
        report.add(MANIFEST, "is missing: nothing attests which files belong to the bundle")
        return None
    try:
        manifest = open_manifest(data, keyring)
    except VerificationError as exc:
        report.add(MANIFEST, str(exc))
        return None
    for name in sorted(set(files) | set(manifest.subjects)):
        expected = manifest.subjects.get(name)
        if name == MANIFEST:
            continue
        if expected is None:
            report.add(name, "is not listed in the manifest")
        elif name not in files:
            report.add(name, "is listed in the manifest but missing")
        elif hashlib.sha256(files[name]).hexdigest() != expected:
            report.add(name, "sha256 does not match the manifest")
    return manifest


def _log_verifier(
    files: Mapping[str, bytes], trusted_vkey: str | None, report: _Report
) -> NoteVerifier | None:
    """The log key checkpoints are checked with: the trusted one if given, else the bundle's."""
    bundled: NoteVerifier | None = None
    data = files.get(LOG_VKEY)
    if data is None:
        report.add(LOG_VKEY, "is missing: the checkpoint's signature cannot be checked")
    else:
        try:
            bundled = NoteVerifier.from_vkey(_text(data).removesuffix("\n"))
        except (KeyStoreError, VerificationError) as exc:
            report.add(LOG_VKEY, f"is not a verifier key: {exc}")
    if trusted_vkey is None:
        return bundled
    try:
        trusted = NoteVerifier.from_vkey(trusted_vkey.strip())
    except KeyStoreError as exc:
        report.add(LOG_VKEY, f"the trusted log key given is not a verifier key: {exc}")
        return None
    if bundled is not None and bundled.to_vkey() != trusted.to_vkey():
        report.add(LOG_VKEY, f"is {bundled.to_vkey()}, not the trusted log key {trusted.to_vkey()}")
    return trusted


def _checkpoint(
    files: Mapping[str, bytes], verifier: NoteVerifier | None, report: _Report
) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint, signed by the log key for the key's name as origin."""
    data = files.get(CHECKPOINT)
    if data is None:
        report.add(CHECKPOINT, "is missing: no event can be proven to be in the log")
        return None, None
    if verifier is None:
        report.add(CHECKPOINT, "cannot be checked without a log key")
        return None, None
    try:
        note = _text(data)
        return open_checkpoint(note, [verifier], verifier.name), note
    except (VerificationError, ValueError) as exc:
        report.add(CHECKPOINT, f"does not verify with log key {verifier.name}: {exc}")
        return None, None


def _event_lines(
    files: Mapping[str, bytes], checkpoint: Checkpoint | None, report: _Report
) -> list[_EventLine]:
    """The event lines that parse; leaves must ascend, start at 0 and lie in the checkpoint."""
    data = files.get(EVENTS)
    if data is None:
        report.add(EVENTS, "is missing")
        return []
    lines: list[_EventLine] = []
    last = -1
    for number, text in enumerate(split_lines(data), 1):
        try:
            leaf_index, envelope = parse_event_line(text)
        except VerificationError as exc:
            report.add(EVENTS, f"line {number}: {exc}")
            continue
        line = _EventLine(number, leaf_index, envelope)
        lines.append(line)
        if leaf_index <= last:
            _fail(report, line, f"leaf {leaf_index} does not come after leaf {last}")
        if checkpoint is not None and leaf_index >= checkpoint.size:
            _fail(report, line, f"leaf {leaf_index} is outside the checkpoint's {checkpoint.size}")
        last = max(last, leaf_index)
    if not any(line.leaf_index == 0 for line in lines):
        report.add(EVENTS, "leaf 0 is missing: its signer is the genesis event key")
    return lines


def _check_events(
    lines: list[_EventLine], keyring: Keyring, report: _Report
) -> list[tuple[int, Rotation]]:
    """Open each event in leaf order, judge its key window and chain; return log-key rotations."""
    history = KeyHistory(keyring, {})  # log-key windows: ``_log_key_in_force``
    heads: dict[str, _ChainHead] = {}
    rotations: list[tuple[int, Rotation]] = []
    for line in lines:
        if not line.sound:  # out of order: its key window and chain position are unknowable
            continue
        try:
            stored = _stored_event(line.envelope)
            payload = open_event(stored, history)
        except VerificationError as exc:
            _fail(report, line, str(exc))
            _break_chain(heads, line.envelope)
            continue
        line.payload = payload
        where = f"aggregate {payload.aggregate_id} version {payload.version}"
        if problem := history.signer_problem(payload.keyid, line.leaf_index) or history.observe(
            line.leaf_index, stored, payload.state
        ):
            _fail(report, line, f"{where}: {problem}")
        elif payload.topic == LOG_KEY_ROTATED:
            rotations.append((line.leaf_index, parse_rotation(payload.topic, payload.state)))
        if problem := _chain_problem(heads.get(payload.aggregate_id), payload):
            _fail(report, line, f"{where}: {problem}")
        digest = envelope_digest(line.envelope) if line.sound else None
        heads[payload.aggregate_id] = _ChainHead(payload.version, digest)
    return rotations


def _break_chain(heads: dict[str, _ChainHead], envelope: bytes) -> None:
    """An event that does not open still takes its place in its chain, as its payload says, so
    the next event is judged by its own version and not reported for its predecessor's fault."""
    try:
        stored = _stored_event(envelope)
    except VerificationError:
        return
    if type(stored.originator_version) is int:
        heads[str(stored.originator_id)] = _ChainHead(stored.originator_version, None)


def _chain_problem(head: _ChainHead | None, payload: EventPayload) -> str | None:
    """Each aggregate's events are versions 1..n, each naming the previous one's digest."""
    if head is None:
        if payload.version != 1:
            return f"history starts at version {payload.version}: earlier events are missing"
        return "first event names a previous event" if payload.prev is not None else None
    if payload.version != head.version + 1:
        return f"follows version {head.version}; expected version {head.version + 1}"
    if head.digest is not None and payload.prev != head.digest:
        return "prev does not match the digest of the previous event"
    return None


def _log_key_in_force(
    rotations: list[tuple[int, Rotation]],
    checkpoint: Checkpoint,
    verifier: NoteVerifier,
    report: _Report,
) -> None:
    """The checkpoint's key must be the one the last log-key rotation before its size brought in.

    A rotation at leaf L hands the log over from leaf L + 1, so it governs every tree that
    includes L. Each rotation must retire the key the previous one brought in.
    """
    for (_, earlier), (leaf, later) in pairwise(rotations):
        if later.outgoing != earlier.incoming_keyid:
            report.add(
                EVENTS,
                f"log-key rotation at leaf {leaf} retires {later.outgoing}, but the log key in "
                f"force is {earlier.incoming_keyid}",
            )
    in_force = [(leaf, r.incoming_keyid) for leaf, r in rotations if leaf < checkpoint.size]
    signer = keyid_of(verifier.public_key)
    if in_force and in_force[-1][1] != signer:
        leaf, keyid = in_force[-1]
        report.add(
            CHECKPOINT,
            f"checkpoint {checkpoint.size} is signed by log key {signer}, but the rotation at "
            f"leaf {leaf} put log key {keyid} in force",
        )


def _check_proofs(
    files: Mapping[str, bytes],
    lines: list[_EventLine],
    checkpoint: Checkpoint | None,
    report: _Report,
) -> None:
    """One proof line per event line, same number and leaf, proving it in the checkpoint."""
    data = files.get(PROOFS)
    if data is None:
        report.add(PROOFS, "is missing: no event is proven to be in the log")
        _fail_all(lines)
        return
    texts = split_lines(data)
    event_count = len(split_lines(files.get(EVENTS, b"")))
    if len(texts) != event_count:
        report.add(PROOFS, f"has {len(texts)} lines for {event_count} event lines")
    proofs: dict[int, ProofLine] = {}
    for number, text in enumerate(texts, 1):
        try:
            proofs[number] = parse_proof_line(text)
        except VerificationError as exc:
            report.add(PROOFS, f"line {number}: {exc}")
    if checkpoint is None:
        report.add(PROOFS, "cannot be checked without a verified checkpoint")
        _fail_all(lines)
        return
    for line in lines:
        if problem := _proof_problem(proofs.get(line.number), line, checkpoint):
            report.add(PROOFS, f"line {line.number} (leaf {line.leaf_index}): {problem}")
            line.sound = False


def _proof_problem(proof: ProofLine | None, line: _EventLine, checkpoint: Checkpoint) -> str | None:
    if proof is None:
        return "no readable proof for this event"
    if proof.leaf_index != line.leaf_index:
        return f"proves leaf {proof.leaf_index}, not the leaf of event line {line.number}"
    if proof.tree_size != checkpoint.size:
        return f"proves in a tree of {proof.tree_size}, not the checkpoint's {checkpoint.size}"
    try:
        verify_inclusion(
            leaf_hash(line.envelope),
            line.leaf_index,
            checkpoint.size,
            proof.hashes,
            checkpoint.root,
        )
    except VerificationError as exc:
        return f"not included in the checkpoint: {exc}"
    return None


def _stored_event(envelope: bytes) -> StoredEvent:
    """The stored row an event line stands for, from its payload's own aggregate, version, topic.

    ``open_event`` then checks the envelope strictly, and that payload against this row.
    """
    try:
        document: Any = json.loads(Envelope.from_json(envelope).payload)
    except (ValueError, RecursionError):
        raise VerificationError("malformed event payload: not JSON") from None
    if not isinstance(document, dict):
        raise VerificationError("malformed event payload: not a JSON object")
    try:
        aggregate_id = UUID(document.get("aggregate_id"))
    except (TypeError, ValueError, AttributeError):
        raise VerificationError("malformed event payload: aggregate_id is not a UUID") from None
    version: Any = document.get("version")
    topic: Any = document.get("topic")
    return StoredEvent(aggregate_id, version, topic, envelope)


def _fail(report: _Report, line: _EventLine, detail: str) -> None:
    report.add(EVENTS, f"line {line.number} (leaf {line.leaf_index}): {detail}")
    line.sound = False


def _fail_all(lines: list[_EventLine]) -> None:
    for line in lines:
        line.sound = False


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError("is not UTF-8 text") from None
