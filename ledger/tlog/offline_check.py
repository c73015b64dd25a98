"""Checking a log entry offline: a tlog-proof, the entry, and the log's verifier key.

Needs no database and no network: the checkpoint in the proof must be signed by the log key
for its pinned origin, must be the checkpoint the caller trusts (when one is given), and the
entry's RFC 6962 leaf hash must be included in it at the proof's index (RFC 9162 2.1.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import VerificationError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.tlog.checkpoint import Checkpoint, open_checkpoint
from ledger.tlog.note import NoteVerifier
from ledger.tlog.proof_format import TlogProof

__all__ = ["VerifiedEntry", "verify_entry"]


@dataclass(frozen=True, slots=True)
class VerifiedEntry:
    """An entry proven to be a leaf of a signed checkpoint."""

    index: int
    checkpoint: Checkpoint


def verify_entry(
    *,
    proof: str,
    entry: bytes,
    vkey: str,
    trusted_checkpoint: str | None = None,
    origin: str | None = None,
) -> VerifiedEntry:
    """Verify that ``entry`` is in the log per ``proof``; raise VerificationError if not.

    ``origin`` defaults to the verifier key's name, the convention for checkpoint signers.
    """
    verifier = NoteVerifier.from_vkey(vkey)
    pinned = origin or verifier.name
    parsed = TlogProof.from_text(proof)
    checkpoint = open_checkpoint(parsed.checkpoint_note, [verifier], pinned)
    if trusted_checkpoint is not None:
        trusted = open_checkpoint(trusted_checkpoint, [verifier], pinned)
        if (trusted.size, trusted.root) != (checkpoint.size, checkpoint.root):
            raise VerificationError(
                f"the proof is against the tree of {checkpoint.size} leaves but the trusted "
                f"checkpoint is of {trusted.size}: ask for a proof against the trusted one"
            )
    verify_inclusion(
        leaf_hash(entry), parsed.index, checkpoint.size, parsed.hashes, checkpoint.root
    )
    return VerifiedEntry(index=parsed.index, checkpoint=checkpoint)
