"""Checking a person's signature over a ``Statement`` against their registered, unrevoked key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.aggregates.principal import Principal
from domain.errors import SignatureError
from domain.ports.protocols import SignatureVerifier
from domain.rules.statements import Statement

__all__ = ["CLOCK_SKEW", "check_signature", "check_signed_at"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a signing time may be before it is refused."""


def check_signature(
    verifier: SignatureVerifier,
    principal: Principal,
    statement: Statement,
    *,
    signature: bytes,
    keyid: str,
) -> None:
    """Raise SignatureError unless ``signature`` is the principal's, by a live key, over it."""
    who = principal.name
    if not signature:
        raise SignatureError(
            f"{statement.action} needs {who!r}'s personal signature over the statement"
        )
    if keyid in principal.revoked_keys:
        raise SignatureError(f"key {keyid} of {who!r} is revoked: sign with a current key")
    public_key_pem = principal.keys.get(keyid)
    if public_key_pem is None:
        raise SignatureError(
            f"{who!r} has no registered key {keyid}: an admin must register it first"
        )
    if not verifier.verify(public_key_pem, signature, statement.canonical_bytes()):
        raise SignatureError(
            f"the signature by key {keyid} does not verify over the {statement.action} statement "
            f"of {who!r}: sign exactly the statement's canonical bytes"
        )


def check_signed_at(
    signed_at: str, now: datetime, not_before: Sequence[tuple[datetime, str]] = ()
) -> None:
    """Raise SignatureError unless ``signed_at`` is an RFC 3339 time, not in the future, and
    not before any moment of ``not_before``: a (time, description) of what the decision is on.

    A decision is signed after what it decides on: an approval dated before the version was
    trained (or 1970) cannot have been made on it.
    """
    try:
        moment = datetime.fromisoformat(signed_at) if isinstance(signed_at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise SignatureError(
            f"signed_at {signed_at!r} is not an RFC 3339 time with an offset, e.g. "
            "2025-01-31T12:00:00Z"
        )
    if moment > now + CLOCK_SKEW:
        raise SignatureError(f"signed_at {signed_at} is in the future (now {now.isoformat()})")
    for earliest, what in not_before:
        # `govledger sign` writes whole seconds: a time in the same second as the event is
        # not before it.
        if moment < earliest.replace(microsecond=0):
            raise SignatureError(
                f"signed_at {signed_at} is before {what} ({earliest.isoformat()}): a decision is "
                "signed after what it decides on; sign the statement again"
            )
