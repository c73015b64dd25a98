"""Dead Simple Signing Envelope (DSSE) v1 with Ed25519.

Implements the envelope and pre-authentication encoding (PAE) of
https://github.com/secure-systems-lab/dsse/blob/master/protocol.md. Every signature carries a
``keyid``; stored envelopes are serialised as RFC 8785 canonical JSON so they hash stably.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Protocol

from ledger.encoding.canonical import json_string
from ledger.errors import VerificationError

__all__ = [
    "Envelope",
    "EnvelopeSigner",
    "KeySigner",
    "Signature",
    "SignatureVerifier",
    "pae",
    "sign_envelope",
]


class KeySigner(Protocol):
    """What signs with one key: a ``ledger.keys.ed25519.Signer``, or anything that names its key."""

    @property
    def keyid(self) -> str:
        """The id of the signing key."""

    def sign(self, message: bytes) -> bytes:
        """Return the signature of ``message``."""


class SignatureVerifier(Protocol):
    """What checks a signature by key id: a ``Keyring``, or anything that trusts keys by id."""

    def verify(self, keyid: str, signature: bytes, message: bytes) -> None:
        """Raise VerificationError unless ``keyid`` is trusted and signed ``message``."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """Return PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(type_bytes), type_bytes, len(payload), payload)


@dataclass(frozen=True, slots=True)
class Signature:
    """One DSSE signature: the signing key's id and the raw signature bytes."""

    keyid: str
    sig: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    """A DSSE envelope: payload bytes, their type, and one or more signatures."""

    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def to_json(self) -> bytes:
        """Serialise as canonical JSON (the bytes that are stored and hashed).

        Written directly: the member names are fixed and already in canonical order.
        """
        signatures = b",".join(
            b'{"keyid":%s,"sig":"%s"}' % (json_string(s.keyid), base64.b64encode(s.sig))
            for s in self.signatures
        )
        return b'{"payload":"%s","payloadType":%s,"signatures":[%s]}' % (
            base64.b64encode(self.payload),
            json_string(self.payload_type),
            signatures,
        )

    @classmethod
    def from_json(cls, data: bytes) -> Envelope:
        """Parse an envelope; raise VerificationError when it is not well formed."""
        try:
            document = json.loads(data)
        except (ValueError, TypeError, RecursionError):
            # RecursionError: a hostile row of deeply nested brackets must not crash a reader.
            raise VerificationError("malformed DSSE envelope: not JSON") from None
        if not isinstance(document, dict):
            raise VerificationError("malformed DSSE envelope: not a JSON object")
        payload_type = document.get("payloadType")
        if not isinstance(payload_type, str):
            raise VerificationError("malformed DSSE envelope: payloadType is not a string")
        entries = document.get("signatures")
        if not isinstance(entries, list):
            raise VerificationError("malformed DSSE envelope: signatures is not a list")
        if not entries:
            raise VerificationError("DSSE envelope carries no signature")
        return cls(
            payload_type=payload_type,
            payload=_b64field(document, "payload"),
            signatures=tuple(_signature(entry) for entry in entries),
        )

    def verify(self, keyring: SignatureVerifier, *, payload_type: str) -> str:
        """Check the type and that one signature verifies; return its keyid."""
        if self.payload_type != payload_type:
            raise VerificationError(
                f"payload type is {self.payload_type!r}, expected {payload_type!r}"
            )
        message = pae(self.payload_type, self.payload)
        problems = []
        for signature in self.signatures:
            try:
                keyring.verify(signature.keyid, signature.sig, message)
            except VerificationError as exc:
                problems.append(str(exc))
            else:
                return signature.keyid
        raise VerificationError("; ".join(problems))


def sign_envelope(payload: bytes, payload_type: str, signer: KeySigner) -> Envelope:
    """Sign ``payload`` of ``payload_type`` with ``signer`` into a one-signature envelope."""
    signature = Signature(keyid=signer.keyid, sig=signer.sign(pae(payload_type, payload)))
    return Envelope(payload_type=payload_type, payload=payload, signatures=(signature,))


class EnvelopeSigner:
    """Signs payloads of one type with one key into stored envelope bytes, as fast as it can.

    ``EnvelopeSigner(signer, t).sign(p)`` returns exactly ``sign_envelope(p, t, signer).to_json()``;
    the parts that do not change from one payload to the next (the PAE prefix, the payload type
    and key id members) are encoded once, here.
    """

    __slots__ = ("_pae_prefix", "_sign", "_signature_prefix")

    def __init__(self, signer: KeySigner, payload_type: str) -> None:
        type_bytes = payload_type.encode("utf-8")
        self._pae_prefix = b"DSSEv1 %d %s " % (len(type_bytes), type_bytes)
        self._signature_prefix = b'","payloadType":%s,"signatures":[{"keyid":%s,"sig":"' % (
            json_string(payload_type),
            json_string(signer.keyid),
        )
        self._sign = signer.sign

    def sign(self, payload: bytes) -> bytes:
        """Sign ``payload``; return the canonical JSON of its one-signature envelope."""
        signature = self._sign(b"%s%d %s" % (self._pae_prefix, len(payload), payload))
        return b'{"payload":"%s%s%s"}]}' % (
            binascii.b2a_base64(payload, newline=False),
            self._signature_prefix,
            binascii.b2a_base64(signature, newline=False),
        )


def _signature(entry: object) -> Signature:
    if not isinstance(entry, dict):
        raise VerificationError("malformed DSSE envelope: a signature is not a JSON object")
    keyid = entry.get("keyid")
    if not isinstance(keyid, str) or not keyid:
        raise VerificationError("malformed DSSE envelope: a signature has no keyid")
    if not keyid.isprintable():  # it is shown in reports: no control characters
        raise VerificationError(f"malformed DSSE envelope: keyid {keyid!r} is not printable")
    return Signature(keyid=keyid, sig=_b64field(entry, "sig"))


def _b64field(document: dict[str, object], name: str) -> bytes:
    """Decode a base64 field; DSSE allows the standard and the URL-safe alphabet."""
    text = document.get(name)
    if not isinstance(text, str):
        raise VerificationError(f"malformed DSSE envelope: {name} is not a string")
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error:
        raise VerificationError(f"malformed DSSE envelope: {name} is not valid base64") from None
