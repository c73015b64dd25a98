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

from ledger.canonical import canonical_json
from ledger.errors import VerificationError
from ledger.keys import Keyring, Signer

__all__ = ["Envelope", "Signature", "pae", "sign_envelope"]


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
        """Serialise as canonical JSON (the bytes that are stored and hashed)."""
        return canonical_json(
            {
                "payload": base64.b64encode(self.payload).decode("ascii"),
                "payloadType": self.payload_type,
                "signatures": [
                    {"keyid": s.keyid, "sig": base64.b64encode(s.sig).decode("ascii")}
                    for s in self.signatures
                ],
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> Envelope:
        """Parse an envelope; raise VerificationError when it is not well formed."""
        try:
            document = json.loads(data)
            signatures = tuple(
                Signature(keyid=str(s["keyid"]), sig=_b64decode(s["sig"]))
                for s in document["signatures"]
            )
            envelope = cls(
                payload_type=str(document["payloadType"]),
                payload=_b64decode(document["payload"]),
                signatures=signatures,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise VerificationError(f"malformed DSSE envelope: {exc}") from exc
        if not signatures:
            raise VerificationError("DSSE envelope carries no signature")
        return envelope

    def verify(self, keyring: Keyring, *, payload_type: str) -> str:
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


def sign_envelope(payload: bytes, payload_type: str, signer: Signer) -> Envelope:
    """Sign ``payload`` of ``payload_type`` with ``signer`` into a one-signature envelope."""
    signature = Signature(keyid=signer.keyid, sig=signer.sign(pae(payload_type, payload)))
    return Envelope(payload_type=payload_type, payload=payload, signatures=(signature,))


def _b64decode(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("base64 field is not a string")
    # DSSE allows the standard and the URL-safe alphabet; padding stays mandatory.
    standard = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(standard, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"invalid base64: {exc}") from exc
