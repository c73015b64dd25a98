"""The proof of one logged prediction: record -> segment root -> ledger leaf -> signed checkpoint.

``prove_prediction`` gathers, for a prediction id, its canonical record, the RFC 6962 inclusion
proof of the record in its sealed segment, the ledger entry (the DSSE envelope of the segment's
``SegmentSealed`` event), a C2SP tlog-proof of that entry against a freshly signed checkpoint,
and the log's verifier key. ``verify_prediction_proof`` checks every link with no database:

1. the record's leaf hash and the segment proof give the segment's Merkle root;
2. the entry's signed payload records exactly that root and the segment's size;
3. the entry is a leaf of the checkpoint's tree, and the checkpoint is signed by the log key.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from adapters.prediction_log.proofs import record_inclusion
from adapters.prediction_log.records import encode_record
from api.composition import Ledger, log_vkey
from api.prediction_files import prediction_directory
from domain.aggregates.prediction_log import PredictionLog
from ledger.errors import VerificationError
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.store.signed_event import open_event
from ledger.tlog.offline_check import verify_entry
from ledger.tlog.proof_format import TlogProof

__all__ = ["PredictionProof", "prove_prediction", "verify_prediction_proof"]


@dataclass(frozen=True)
class PredictionProof:
    """Everything needed to check one prediction offline."""

    record: bytes
    segment_index: int
    segment_size: int
    segment_hashes: tuple[bytes, ...]
    entry: bytes
    tlog_proof: str
    vkey: str


def prove_prediction(
    ledger: Ledger, home: Path, *, prediction_id: str, version_id: UUID, environment: str
) -> PredictionProof:
    """The proof of ``prediction_id`` of a version in an environment, against a checkpoint
    signed now; VerificationError if its segment is not sealed in the ledger yet."""
    directory = prediction_directory(home, version_id, environment, "prediction")
    found = record_inclusion(directory, prediction_id)
    log_id = PredictionLog.create_id(version_id, environment, "prediction")
    # The log's first event opens it: segment n is its event n + 1.
    entry = ledger.recorder.leaf_of(log_id, found.segment_sequence + 1)
    if entry is None or entry.stored is None:
        raise VerificationError(
            f"segment {found.segment_sequence} holding {prediction_id} is not sealed in the "
            "ledger yet: seal it, then ask again"
        )
    open_event(entry.stored, ledger.keyring())  # never hand out a proof of a refused entry
    signed = ledger.checkpointer.cut()
    if signed is None:
        raise VerificationError("the log is empty")
    with ledger.tree.reading() as c:
        hashes = ledger.tree.inclusion_proof(c, entry.leaf_index, signed.size)
    tlog = TlogProof(index=entry.leaf_index, hashes=tuple(hashes), checkpoint_note=signed.note)
    proof = PredictionProof(
        record=encode_record(found.record),
        segment_index=found.leaf_index,
        segment_size=found.segment_size,
        segment_hashes=tuple(bytes.fromhex(h) for h in found.proof),
        entry=entry.stored.state,
        tlog_proof=tlog.to_text(),
        vkey=log_vkey(ledger.settings, ledger.keystore),
    )
    verify_prediction_proof(proof)  # what the ledger hands out, it has checked
    return proof


def verify_prediction_proof(proof: PredictionProof, *, vkey: str | None = None) -> int:
    """Check every link of ``proof`` (with ``vkey`` pinned if given); the ledger leaf index of
    the segment's event. VerificationError naming the broken link otherwise."""
    state = _sealed_state(proof.entry)
    root = bytes.fromhex(str(state["merkle_root"]))
    if int(state["record_count"]) != proof.segment_size:
        raise VerificationError(
            f"the segment proof is for {proof.segment_size} records; the ledger sealed "
            f"{state['record_count']}"
        )
    verify_inclusion(
        leaf_hash(proof.record), proof.segment_index, proof.segment_size, proof.segment_hashes, root
    )
    verified = verify_entry(proof=proof.tlog_proof, entry=proof.entry, vkey=vkey or proof.vkey)
    return verified.index


def _sealed_state(entry: bytes) -> dict[str, Any]:
    """The event state inside a ``SegmentSealed`` entry's signed payload."""
    try:
        envelope = json.loads(entry)
        payload = json.loads(base64.b64decode(envelope["payload"], validate=True))
        state = payload["state"]
        topic = str(payload["topic"])
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError(f"the ledger entry is not a signed event envelope: {exc}") from None
    if not topic.endswith("SegmentSealed") or not isinstance(state, dict):
        raise VerificationError(f"the ledger entry is a {topic} event, not a sealed segment")
    return state
