"""The bundle manifest: a DSSE-signed in-toto Statement v1 naming every other file's SHA-256.

``manifest_bytes`` writes it; ``open_manifest`` reads it back strictly: exactly the canonical bytes
``manifest_bytes`` writes, signed by a trusted event-signing key, every subject a relative path with
one SHA-256 digest, subjects sorted by name. Any DSSE or in-toto tool can check it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ledger.encoding.canonical import canonical_json, canonical_json_text
from ledger.encoding.dsse import Envelope, SignatureVerifier, sign_envelope
from ledger.errors import CanonicalizationError, VerificationError
from ledger.keys.ed25519 import Signer

__all__ = [
    "IN_TOTO_PAYLOAD_TYPE",
    "MANIFEST_NAME",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "Manifest",
    "manifest_bytes",
    "open_manifest",
    "subject_name_problem",
]

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://govledger.dev/evidence-bundle/v1"
MANIFEST_NAME = "manifest.dsse.json"
"""The manifest's own file name: it signs every file but itself."""

_STATEMENT_MEMBERS = frozenset({"_type", "predicate", "predicateType", "subject"})
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass
class Manifest:
    """A verified manifest: each subject's SHA-256 (hex) by relative path, the predicate, signer."""

    subjects: dict[str, str]
    predicate: dict[str, Any]
    keyid: str


def manifest_bytes(
    files: Mapping[str, bytes], predicate: Mapping[str, Any], signer: Signer
) -> bytes:
    """Return the manifest file naming every one of ``files``, signed by ``signer``.

    ``files`` maps each relative path (``/`` separators) to its bytes and must not hold the
    manifest itself; a bad name is a ValueError (the caller chose it, not an auditor).
    """
    for name in files:
        if problem := subject_name_problem(name):
            raise ValueError(f"bundle file name {name!r} {problem}")
    statement = {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"digest": {"sha256": hashlib.sha256(files[name]).hexdigest()}, "name": name}
            for name in sorted(files)
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }
    envelope = sign_envelope(canonical_json(statement), IN_TOTO_PAYLOAD_TYPE, signer)
    return envelope.to_json() + b"\n"


def open_manifest(data: bytes, keyring: SignatureVerifier) -> Manifest:
    """Verify manifest file bytes against trusted event keys; return what they state.

    Raises VerificationError naming the first thing wrong: not an envelope, not one signature,
    wrong payload type, an unknown key or a bad signature, not the canonical bytes, not an in-toto
    Statement v1 of this bundle's predicate type, or a malformed, duplicate or unsorted subject.
    """
    if not data.endswith(b"\n"):
        raise VerificationError("the manifest does not end in a newline")
    body = data[:-1]
    try:
        envelope = Envelope.from_json(body)
    except VerificationError as exc:
        raise VerificationError(f"the manifest is not a DSSE envelope: {exc}") from None
    if len(envelope.signatures) != 1:
        raise VerificationError(
            f"the manifest carries {len(envelope.signatures)} signatures; it has one"
        )
    keyid = envelope.verify(keyring, payload_type=IN_TOTO_PAYLOAD_TYPE)
    if envelope.to_json() != body:
        raise VerificationError("the manifest is not the canonical JSON of its DSSE envelope")
    statement = _statement(envelope.payload)
    return Manifest(_subjects(statement["subject"]), statement["predicate"], keyid)


def subject_name_problem(name: object) -> str | None:
    """Why ``name`` is not a bundle file's relative path (None when it is one)."""
    if not isinstance(name, str) or not name:
        return "is not a non-empty string"
    if not name.isprintable() or "\\" in name:
        return "holds a control character or a backslash"
    if name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")):
        return "is not a relative path of named parts separated by '/'"
    if name == MANIFEST_NAME:
        return "is the manifest itself, which cannot name its own digest"
    return None


def _statement(payload: bytes) -> dict[str, Any]:
    try:
        canonical = canonical_json_text(payload) == payload
    except CanonicalizationError:
        raise VerificationError("the manifest's payload is not JSON") from None
    if not canonical:
        raise VerificationError("the manifest's payload is not canonical JSON (RFC 8785)")
    statement = json.loads(payload)
    if not isinstance(statement, dict) or statement.keys() != _STATEMENT_MEMBERS:
        found = sorted(statement) if isinstance(statement, dict) else type(statement).__name__
        raise VerificationError(
            f"the manifest's payload members are {found}, expected {sorted(_STATEMENT_MEMBERS)}"
        )
    if statement["_type"] != STATEMENT_TYPE:
        raise VerificationError(
            f"the manifest is not an in-toto Statement v1: {statement['_type']!r}"
        )
    if statement["predicateType"] != PREDICATE_TYPE:
        raise VerificationError(
            f"the manifest's predicateType is {statement['predicateType']!r}, "
            f"expected {PREDICATE_TYPE!r}"
        )
    if not isinstance(statement["predicate"], dict):
        raise VerificationError("the manifest's predicate is not a JSON object")
    return statement


def _subjects(subjects: object) -> dict[str, str]:
    if not isinstance(subjects, list):
        raise VerificationError("the manifest's subject is not a list")
    digests: dict[str, str] = {}
    previous = ""
    for position, subject in enumerate(subjects, 1):
        where = f"the manifest's subject {position}"
        if not isinstance(subject, dict) or subject.keys() != {"digest", "name"}:
            raise VerificationError(f"{where} is not an object of exactly name and digest")
        name, digest = subject["name"], subject["digest"]
        if problem := subject_name_problem(name):
            raise VerificationError(f"{where}: name {name!r} {problem}")
        if not (
            isinstance(digest, dict)
            and digest.keys() == {"sha256"}
            and isinstance(digest["sha256"], str)
            and _SHA256_HEX.fullmatch(digest["sha256"])
        ):
            raise VerificationError(f"{where} ({name}): digest is not one sha256 of 64 hex digits")
        if name <= previous:
            raise VerificationError(f"{where} ({name}): subjects are not sorted by name, once each")
        digests[name] = digest["sha256"]
        previous = name
    return digests
