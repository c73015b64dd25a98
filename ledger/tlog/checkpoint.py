"""Transparency log checkpoints: the signed tree head of the ledger's log.

Implements the note text of https://c2sp.org/tlog-checkpoint: origin, tree size in decimal, the
base64 RFC 6962 root hash, then optional opaque extension lines, each ending in a newline. The
checkpoint is signed as a https://c2sp.org/signed-note. Opening one pins both the keys and the
origin: a valid signature over another log's checkpoint must not pass (the lesson of immudb's
CVE-2022-36111).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import VerificationError
from ledger.keys.ed25519 import Signer
from ledger.tlog.note import NoteVerifier, open_note, open_timestamp, sign_note

__all__ = ["Checkpoint", "checkpoint_time", "open_checkpoint", "sign_checkpoint"]

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
# RFC 6962 tree sizes are unsigned 64-bit integers.
_MAX_SIZE = 2**64 - 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's origin, its tree size and the 32-byte root hash at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin:
            raise ValueError("checkpoint origin is empty")
        _check_line(self.origin, "origin")
        if not 0 <= self.size <= _MAX_SIZE:
            raise ValueError(f"tree size {self.size} is not an unsigned 64-bit integer")
        if len(self.root) != 32:
            raise ValueError(f"root hash is {len(self.root)} bytes, expected 32")
        for extension in self.extensions:
            if not extension:
                raise ValueError("checkpoint extension lines must not be empty")
            _check_line(extension, "extension line")

    def to_text(self) -> str:
        """Return the note text: origin, size, base64 root and extensions, one per line."""
        root = base64.b64encode(self.root).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text; raise VerificationError unless it is well formed."""
        if not text.endswith("\n"):
            raise VerificationError("malformed checkpoint: text does not end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("malformed checkpoint: fewer than three lines")
        origin, size, root, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise VerificationError(f"malformed checkpoint: tree size {size!r} is not canonical")
        root_hash = _b64decode(root)
        if root_hash is None:
            raise VerificationError("malformed checkpoint: root hash is not canonical base64")
        try:
            return cls(origin, int(size), root_hash, tuple(extensions))
        except ValueError as exc:
            raise VerificationError(f"malformed checkpoint: {exc}") from None


def sign_checkpoint(
    checkpoint: Checkpoint, name: str, signer: Signer, *, timestamp: int | None = None
) -> str:
    """Return the checkpoint as a note signed by key ``name``.

    With ``timestamp`` (POSIX seconds) the key also cosigns it at that time, per
    https://c2sp.org/tlog-cosignature, so the time of the checkpoint is signed too.
    """
    return sign_note(checkpoint.to_text(), name, signer, timestamp=timestamp)


def checkpoint_time(note: str, verifiers: Sequence[NoteVerifier]) -> int | None:
    """The POSIX time a trusted key cosigned the checkpoint at, or None when none did.

    Raises VerificationError if such a cosignature is malformed or does not verify.
    """
    return open_timestamp(note, verifiers)


def open_checkpoint(note: str, verifiers: Sequence[NoteVerifier], origin: str) -> Checkpoint:
    """Verify a checkpoint note against trusted keys and the pinned ``origin``; return it."""
    checkpoint = Checkpoint.from_text(open_note(note, verifiers))
    if checkpoint.origin != origin:
        raise VerificationError(f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


def _check_line(value: str, what: str) -> None:
    if any(ch < " " for ch in value):
        raise ValueError(f"checkpoint {what} {value!r} contains a newline or control character")


def _b64decode(text: str) -> bytes | None:
    """Decode canonical standard base64 (RFC 4648 section 4), or return None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None
