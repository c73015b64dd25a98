"""Signed notes: text signed by one or more Ed25519 keys.

Implements https://c2sp.org/signed-note (Ed25519, signature type 0x01) and the verifier key
encoding ``<name>+<hex key hash>+<base64(0x01 || public key)>`` of golang.org/x/mod/sumdb/note,
and the Ed25519 timestamped signature of https://c2sp.org/tlog-cosignature (type 0x04): the
signature line carries ``u64 timestamp || signature`` over ``cosignature/v1``, ``time <T>`` and
the note text. The log cosigns its own checkpoints this way so their time is signed, not just
stored; the same key may serve both types because their key IDs and messages differ.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import KeyStoreError, VerificationError
from ledger.keys.ed25519 import Signer

__all__ = [
    "NoteSignature",
    "NoteVerifier",
    "SignedNote",
    "cosignature_line",
    "note_key_hash",
    "open_note",
    "open_timestamp",
    "sign_note",
    "vkey_for",
]

_ED25519 = 0x01
_COSIGNATURE = 0x04
_MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_PREFIX = "\u2014 "
# The spec asks verifiers to cap signatures and to accept at least 16; 100 is sumdb/note's cap.
_MAX_SIGNATURES = 100
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


def note_key_hash(name: str, public_key: Ed25519PublicKey) -> int:
    """Return the key ID: SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4] as a big-endian int."""
    return _key_hash(name, bytes([_ED25519]) + public_key.public_bytes_raw())


def vkey_for(name: str, public_key: Ed25519PublicKey) -> str:
    """Return the verifier key ``<name>+<hex8 key hash>+<base64(0x01 || public key)>``."""
    _check_name(name)
    return NoteVerifier(name, note_key_hash(name, public_key), public_key).to_vkey()


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted Ed25519 note key: its name, its key hash and its public key."""

    name: str
    key_hash: int
    public_key: Ed25519PublicKey = field(hash=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.key_hash != note_key_hash(self.name, self.public_key):
            raise ValueError(f"key hash {self.key_hash:08x} is not the hash of {self.name}'s key")

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse a verifier key; raise KeyStoreError unless it is a well-formed Ed25519 key."""
        name, _, rest = vkey.partition("+")
        hash_hex, separator, key_b64 = rest.partition("+")
        if _name_problem(name) or not _HEX8.fullmatch(hash_hex) or not separator:
            raise KeyStoreError(f"malformed verifier key {vkey!r}: expected <name>+<hex8>+<key>")
        key = _b64decode(key_b64)
        if not key:
            raise KeyStoreError(f"malformed verifier key {vkey!r}: key is not base64")
        key_hash = int(hash_hex, 16)
        if key_hash != _key_hash(name, key):
            raise KeyStoreError(f"verifier key {vkey!r} has the wrong key hash")
        if key[0] != _ED25519:
            raise KeyStoreError(
                f"verifier key {vkey!r} has unsupported signature type 0x{key[0]:02x}"
            )
        if len(key) != 33:
            raise KeyStoreError(f"verifier key {vkey!r} is not a 32-byte Ed25519 key")
        return cls(name, key_hash, Ed25519PublicKey.from_public_bytes(key[1:]))

    def to_vkey(self) -> str:
        """Return the verifier key text that ``from_vkey`` reads."""
        key = bytes([_ED25519]) + self.public_key.public_bytes_raw()
        return f"{self.name}+{self.key_hash:08x}+{base64.b64encode(key).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 32-bit key hash and signature bytes (hash not included)."""

    name: str
    key_hash: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not 0 <= self.key_hash < 2**32:
            raise ValueError(f"key hash {self.key_hash} is not a 32-bit unsigned integer")
        if not self.signature:
            raise ValueError("signature is empty")

    def to_line(self) -> str:
        """Return ``— <name> <base64(key hash || signature)>`` and a newline."""
        raw = self.key_hash.to_bytes(4, "big") + self.signature
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(raw).decode('ascii')}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one signature line without its newline; raise VerificationError if malformed."""
        if not line.startswith(_SIGNATURE_PREFIX):
            raise VerificationError("malformed note: a signature line does not start with '— '")
        name, _, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
        if problem := _name_problem(name):
            raise VerificationError(f"malformed note: signature key name {problem}")
        raw = _b64decode(encoded)
        if raw is None:
            raise VerificationError(f"malformed note: signature by {name} is not base64")
        if len(raw) < 5:
            raise VerificationError(f"malformed note: signature by {name} is too short")
        return cls(name, int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note's text (ending in a newline) and its signatures, verified or not."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        if problem := _text_problem(self.text):
            raise ValueError(f"note text {problem}")
        if not self.signatures:
            raise ValueError("a signed note needs at least one signature")

    def to_text(self) -> str:
        """Return the text, a blank line, then one line per signature."""
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    @classmethod
    def from_text(cls, note: str) -> SignedNote:
        """Parse a signed note without verifying it; raise VerificationError if malformed."""
        if problem := _text_problem(note):
            raise VerificationError(f"malformed note: {problem}")
        split = note.rfind("\n\n")
        if split < 0:
            raise VerificationError("malformed note: no blank line before the signatures")
        if split + 2 == len(note):
            raise VerificationError("malformed note: no signature lines after the blank line")
        lines = note[split + 2 : -1].split("\n")
        if len(lines) > _MAX_SIGNATURES:
            raise VerificationError(f"malformed note: more than {_MAX_SIGNATURES} signatures")
        signatures = tuple(NoteSignature.from_line(line) for line in lines)
        return cls(note[: split + 1], signatures)


def sign_note(text: str, name: str, signer: Signer, *, timestamp: int | None = None) -> str:
    """Sign ``text`` (which must end in a newline) as key ``name``; return the signed note.

    With ``timestamp`` the same key also cosigns the note at that time (tlog-cosignature/v1).
    """
    _check_name(name)
    if problem := _text_problem(text):
        raise ValueError(f"note text {problem}")
    signature = NoteSignature(
        name, note_key_hash(name, signer.public_key), signer.sign(text.encode("utf-8"))
    )
    lines: tuple[NoteSignature, ...] = (signature,)
    if timestamp is not None:
        lines += (cosignature_line(text, name, signer, timestamp),)
    return SignedNote(text, lines).to_text()


def open_note(note: str, verifiers: Sequence[NoteVerifier]) -> str:
    """Return the note's text if a known key signed it and every known key's signature verifies.

    Signatures by unknown (name, key hash) pairs are ignored, as the spec requires.
    """
    known = _index(verifiers)
    signed = SignedNote.from_text(note)
    message = signed.text.encode("utf-8")
    verified = False
    for signature in signed.signatures:
        verifier = known.get((signature.name, signature.key_hash))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(signature.signature, message)
        except InvalidSignature:
            raise VerificationError(
                f"signature by known key {signature.name}+{signature.key_hash:08x} does not verify"
            ) from None
        verified = True
    if not verified:
        raise VerificationError("note has no signature by a known key")
    return signed.text


def cosignature_line(text: str, name: str, signer: Signer, timestamp: int) -> NoteSignature:
    """A tlog-cosignature/v1 Ed25519 signature of note ``text`` made at POSIX ``timestamp``."""
    _check_name(name)
    if problem := _text_problem(text):
        raise ValueError(f"note text {problem}")
    if not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp} is outside 0..2**63-1")
    signature = signer.sign(_cosigned_message(text, timestamp))
    key_hash = _key_hash(name, bytes([_COSIGNATURE]) + signer.public_key.public_bytes_raw())
    return NoteSignature(name, key_hash, timestamp.to_bytes(8, "big") + signature)


def open_timestamp(note: str, verifiers: Sequence[NoteVerifier]) -> int | None:
    """The time a trusted key cosigned ``note`` at (tlog-cosignature/v1), or None if none did.

    Raises VerificationError when such a cosignature is malformed or does not verify, or two
    trusted cosignatures give different times.
    """
    signed = SignedNote.from_text(note)
    cosigners = {
        (v.name, _key_hash(v.name, bytes([_COSIGNATURE]) + v.public_key.public_bytes_raw())): v
        for v in verifiers
    }
    times = set()
    for line in signed.signatures:
        verifier = cosigners.get((line.name, line.key_hash))
        if verifier is None:
            continue
        if len(line.signature) != 8 + 64:
            raise VerificationError(
                f"malformed note: the cosignature by {line.name} is not 72 bytes"
            )
        timestamp = int.from_bytes(line.signature[:8], "big")
        if timestamp > _MAX_TIMESTAMP:
            raise VerificationError(f"the cosignature by {line.name} has timestamp {timestamp}")
        try:
            verifier.public_key.verify(
                line.signature[8:], _cosigned_message(signed.text, timestamp)
            )
        except InvalidSignature:
            raise VerificationError(f"the cosignature by {line.name} does not verify") from None
        times.add(timestamp)
    if len(times) > 1:
        raise VerificationError(f"the note's trusted cosignatures give {len(times)} times")
    return times.pop() if times else None


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _index(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        pair = (verifier.name, verifier.key_hash)
        if known.setdefault(pair, verifier) != verifier:
            raise VerificationError(
                f"ambiguous verifiers: two keys are named {pair[0]} with key hash {pair[1]:08x}"
            )
    return known


def _b64decode(text: str) -> bytes | None:
    """Decode canonical standard base64 (RFC 4648 section 4), or return None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _key_hash(name: str, key: bytes) -> int:
    return int.from_bytes(hashlib.sha256(name.encode("utf-8") + b"\n" + key).digest()[:4], "big")


def _check_name(name: str) -> None:
    if problem := _name_problem(name):
        raise ValueError(f"key name {name!r} {problem}")


def _name_problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if "+" in name or any(ch.isspace() or ch < " " for ch in name):
        return "contains a space, a control character or '+'"
    return _utf8_problem(name)


def _text_problem(text: str) -> str | None:
    if not text.endswith("\n"):
        return "does not end in a newline"
    if any(ch < " " and ch != "\n" for ch in text):
        return "contains a control character other than newline"
    return _utf8_problem(text)


def _utf8_problem(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid UTF-8"
    return None
