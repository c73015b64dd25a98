"""The bundle's ``events.jsonl`` and ``proofs.jsonl``: one canonical JSON object per line.

An event line is ``{"envelope":<stored envelope bytes verbatim>,"leaf_index":N}``; a proof line is
``{"hashes":[<base64 hash>...],"leaf_index":N,"tree_size":S}``, the RFC 9162 inclusion proof of the
event's leaf in the checkpoint's tree. Both are RFC 8785 canonical JSON and end in a newline; a
reader refuses any other spelling, so the bytes the manifest signs have one meaning.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.encoding.canonical import canonical_json, canonical_json_text
from ledger.errors import CanonicalizationError, VerificationError

__all__ = [
    "ProofLine",
    "event_line",
    "parse_event_line",
    "parse_event_lines",
    "parse_proof_line",
    "parse_proof_lines",
    "proof_line",
    "split_lines",
]

_HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class ProofLine:
    """One inclusion proof: the leaf, the tree size it is proven in, and the proof's hashes."""

    leaf_index: int
    tree_size: int
    hashes: tuple[bytes, ...]


def event_line(leaf_index: int, envelope: bytes) -> bytes:
    """The line of the event whose stored envelope (canonical JSON) is at ``leaf_index``."""
    return b'{"envelope":%s,"leaf_index":%d}\n' % (envelope, leaf_index)


def proof_line(leaf_index: int, tree_size: int, hashes: Sequence[bytes]) -> bytes:
    """The line of the inclusion proof of ``leaf_index`` in the tree of ``tree_size`` leaves."""
    encoded = [base64.b64encode(h).decode("ascii") for h in hashes]
    document = {"hashes": encoded, "leaf_index": leaf_index, "tree_size": tree_size}
    return canonical_json(document) + b"\n"


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its newline (the last lacks one when ``data`` does)."""
    *complete, last = data.split(b"\n")
    return [line + b"\n" for line in complete] + ([last] if last else [])


def parse_event_lines(data: bytes) -> list[tuple[int, bytes]]:
    """Each line's (leaf index, envelope bytes); VerificationError naming the first bad line."""
    events = []
    for number, line in enumerate(split_lines(data), 1):
        try:
            events.append(parse_event_line(line))
        except VerificationError as exc:
            raise VerificationError(f"line {number}: {exc}") from None
    return events


def parse_proof_lines(data: bytes) -> list[ProofLine]:
    """Each line's proof; VerificationError naming the first bad line."""
    proofs = []
    for number, line in enumerate(split_lines(data), 1):
        try:
            proofs.append(parse_proof_line(line))
        except VerificationError as exc:
            raise VerificationError(f"line {number}: {exc}") from None
    return proofs


def parse_event_line(line: bytes) -> tuple[int, bytes]:
    """Read one event line (with its newline): its leaf index and envelope bytes."""
    document = _canonical_object(line, {"envelope", "leaf_index"})
    envelope = document["envelope"]
    if not isinstance(envelope, dict):
        raise VerificationError("envelope is not a JSON object")
    # The line is canonical, so its envelope member is the canonical (= stored) envelope bytes.
    return _natural(document, "leaf_index"), canonical_json(envelope)


def parse_proof_line(line: bytes) -> ProofLine:
    """Read one proof line (with its newline)."""
    document = _canonical_object(line, {"hashes", "leaf_index", "tree_size"})
    hashes = document["hashes"]
    if not isinstance(hashes, list):
        raise VerificationError("hashes is not a list")
    return ProofLine(
        _natural(document, "leaf_index"),
        _natural(document, "tree_size"),
        tuple(_hash(position, value) for position, value in enumerate(hashes)),
    )


def _canonical_object(line: bytes, members: set[str]) -> dict[str, Any]:
    if not line.endswith(b"\n"):
        raise VerificationError("the line does not end in a newline")
    body = line[:-1]
    if not body.strip():
        raise VerificationError("the line is empty")
    try:
        canonical = canonical_json_text(body) == body
    except (CanonicalizationError, RecursionError):
        raise VerificationError("the line is not JSON") from None
    if not canonical:
        raise VerificationError("the line is not canonical JSON (RFC 8785)")
    document = json.loads(body)
    if not isinstance(document, dict) or document.keys() != members:
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise VerificationError(f"the line's members are {found}, expected {sorted(members)}")
    return document


def _natural(document: dict[str, Any], name: str) -> int:
    value = document[name]
    if type(value) is not int or value < 0:
        raise VerificationError(f"{name} is not a non-negative integer: {value!r}")
    return value


def _hash(position: int, value: object) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except binascii.Error:
        raw = b""
    if len(raw) != _HASH_BYTES or base64.b64encode(raw).decode("ascii") != value:
        raise VerificationError(f"hash {position} is not the canonical base64 of 32 bytes")
    return raw
