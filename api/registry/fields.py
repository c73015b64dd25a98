"""Constrained field types the command requests share: digests, personal signatures, times.

A request that breaks one of these constraints is refused by the front end with a message
naming the field, before it reaches the domain; the domain checks the same things again.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, Field

from api.registry.spec import Response
from domain.commands.arguments import MAX_EXACT_INTEGER

__all__ = [
    "MAX_DIGESTS",
    "Created",
    "Digest",
    "Digests",
    "Done",
    "Instant",
    "KeyId",
    "Metrics",
    "Number",
    "Scalar",
    "Seed",
    "SignatureBase64",
    "SignedAt",
    "Text",
    "signature_bytes",
]

MAX_DIGESTS = 100
"""The most evidence digests one command cites."""

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{86}==")
_UTC_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|\+00:00)"
)
_OFFSET_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def _matching(pattern: re.Pattern[str], problem: str) -> AfterValidator:
    """A check that the whole text matches ``pattern`` (and, for times, names a real moment),
    refusing it with ``problem``; the pattern is published in the JSON schema too."""

    def check(text: str) -> str:
        if not pattern.fullmatch(text):
            raise ValueError(f"{text[:100]!r} {problem}")
        if pattern in (_UTC_TIME, _OFFSET_TIME):
            try:
                datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError as error:
                raise ValueError(f"{text!r} is not a real time: {error}") from None
        return text

    return AfterValidator(check)


def _schema_pattern(pattern: re.Pattern[str]) -> dict[str, str]:
    return {"pattern": f"^{pattern.pattern}$"}


_DIGEST_PROBLEM = "is not sha256:<64 lowercase hex digits>"

Digest = Annotated[
    str,
    Field(
        description="a SHA-256 content digest: sha256:<64 lowercase hex digits>",
        examples=["sha256:" + "0" * 64],
        json_schema_extra=_schema_pattern(_DIGEST),
    ),
    _matching(_DIGEST, _DIGEST_PROBLEM),
]
Digests = Annotated[
    list[Digest],
    Field(
        max_length=MAX_DIGESTS,
        description=f"digests of the evidence relied on, in order (at most {MAX_DIGESTS})",
    ),
]
KeyId = Annotated[
    str,
    Field(
        description="the id of the signer's registered personal key, as `govledger sign` "
        "prints it (sha256:<hex of its public key>)",
        json_schema_extra=_schema_pattern(_DIGEST),
    ),
    _matching(_DIGEST, f"{_DIGEST_PROBLEM}: give the keyid `govledger sign` printed"),
]
SignatureBase64 = Annotated[
    str,
    Field(
        description="the signer's Ed25519 signature (64 bytes, base64) over the canonical "
        "statement bytes of this decision (POST /v1/statements or `govledger sign`)",
        json_schema_extra=_schema_pattern(_SIGNATURE),
    ),
    _matching(_SIGNATURE, "is not the base64 of a 64-byte Ed25519 signature"),
]
SignedAt = Annotated[
    str,
    Field(
        description="the RFC 3339 UTC time signed in the statement, e.g. 2025-06-30T14:05:00Z",
        examples=["2025-06-30T14:05:00Z"],
        json_schema_extra=_schema_pattern(_UTC_TIME),
    ),
    _matching(_UTC_TIME, "is not an RFC 3339 UTC time such as 2025-06-30T14:05:00Z"),
]
Instant = Annotated[
    str,
    Field(
        description="an RFC 3339 time with its offset, e.g. 2025-06-30T14:05:00Z",
        json_schema_extra=_schema_pattern(_OFFSET_TIME),
    ),
    _matching(_OFFSET_TIME, "is not an RFC 3339 time with an offset, e.g. 2025-06-30T14:05:00Z"),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1, description="a seed from 0 to 2**32 - 1")]
Number = Annotated[float, Field(allow_inf_nan=False)]
Scalar = (
    str | Annotated[int, Field(ge=-MAX_EXACT_INTEGER, le=MAX_EXACT_INTEGER)] | Number | bool | None
)
"""One value of a row: text, an exact whole number, a finite number, a flag or null."""
Metrics = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=200)], Number],
    Field(max_length=1000, description="metric names to finite numbers (at most 1000)"),
]


def signature_bytes(signature: str) -> bytes:
    """The bytes of a ``SignatureBase64`` field (its pattern already checked)."""
    return base64.b64decode(signature, validate=True)


class Done(Response):
    """The command was recorded; it answers nothing more."""


class Created(Response):
    """The id of what the command created."""

    id: UUID = Field(description="the id of the new record")
