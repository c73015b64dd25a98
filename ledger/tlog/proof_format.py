"""Transparency log proofs: an entry's index, its inclusion proof and the signed checkpoint.

Implements https://c2sp.org/tlog-proof (``c2sp.org/tlog-proof@v1``): the header line, an optional
``extra <base64>`` line, ``index <N>``, one base64 SHA-256 hash per line from the leaf's sibling up
to the root's child (RFC 6962 section 2.1.1), a blank line, then the checkpoint note verbatim. The
extra data is not authenticated; this module only reads and writes the format, it verifies neither
the checkpoint's signatures (see ``open_checkpoint``) nor the inclusion proof.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from ledger.errors import VerificationError
from ledger.tlog.checkpoint import Checkpoint
from ledger.tlog.note import SignedNote

__all__ = ["HEADER", "TlogProof"]

HEADER = "c2sp.org/tlog-proof@v1"
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_INDEX = 2**64 - 1


@dataclass(frozen=True, slots=True)
class TlogProof:
    """An entry's index, its inclusion proof hashes, the signed checkpoint and opaque extra data."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.index <= _MAX_INDEX:
            raise ValueError(f"index {self.index} is not an unsigned 64-bit integer")
        for proof_hash in self.hashes:
            if len(proof_hash) != 32:
                raise ValueError(f"an inclusion proof hash is {len(proof_hash)} bytes, expected 32")
        try:
            Checkpoint.from_text(SignedNote.from_text(self.checkpoint_note).text)
        except VerificationError as exc:
            raise ValueError(f"checkpoint is not a signed checkpoint note: {exc}") from None

    def to_text(self) -> str:
        """Return the proof in the tlog-proof text format."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {_b64encode(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(_b64encode(proof_hash) for proof_hash in self.hashes)
        return "".join(f"{line}\n" for line in lines) + "\n" + self.checkpoint_note

    @classmethod
    def from_text(cls, text: str) -> TlogProof:
        """Parse a proof; raise VerificationError unless it is well formed."""
        head, blank, checkpoint_note = text.partition("\n\n")
        if not blank:
            raise VerificationError("malformed tlog-proof: no blank line before the checkpoint")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise VerificationError(f"malformed tlog-proof: first line is not {HEADER!r}")
        extra = None
        position = 1
        if position < len(lines) and lines[position].startswith("extra "):
            extra = _b64decode(lines[position].removeprefix("extra "), "extra data")
            position += 1
        if position == len(lines) or not lines[position].startswith("index "):
            raise VerificationError("malformed tlog-proof: no 'index <N>' line")
        index = lines[position].removeprefix("index ")
        if not _DECIMAL.fullmatch(index):
            raise VerificationError(f"malformed tlog-proof: index {index!r} is not canonical")
        hashes = tuple(_b64decode(line, "proof hash") for line in lines[position + 1 :])
        try:
            return cls(int(index), hashes, checkpoint_note, extra)
        except ValueError as exc:
            raise VerificationError(f"malformed tlog-proof: {exc}") from None


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Decode canonical standard base64 (RFC 4648 section 4); raise VerificationError if not."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raw = None
    if raw is None or _b64encode(raw) != text:
        raise VerificationError(f"malformed tlog-proof: {what} is not canonical base64")
    return raw
