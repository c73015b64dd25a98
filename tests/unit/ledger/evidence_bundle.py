"""Small real evidence bundles for the tests: a synthetic signed log, and a sparse bundle of it.

The log has 12 leaves over aggregates A, B, C and the key history: leaf 5 rotates the event key
(the genesis key signs leaves 0..5, its successor from leaf 6). Optionally leaf 8 rotates the log
key. A bundle holds leaf 0, every key-history event and the whole history of the chosen
aggregates, each with its inclusion proof in a checkpoint of the whole log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.encoding.canonical import canonical_json
from ledger.evidence.check import CHECKPOINT, EVENT_KEYS_DIR, EVENTS, LOG_VKEY, MANIFEST, PROOFS
from ledger.evidence.lines import event_line, proof_line
from ledger.evidence.statement import manifest_bytes
from ledger.keys.ed25519 import Signer, public_key_pem
from ledger.keys.history import KEYS_AGGREGATE_ID, event_key_rotation, log_key_rotation
from ledger.merkle import inclusion_proof, leaf_hash, root_hash
from ledger.store.signed_event import envelope_digest, sign_event
from ledger.tlog.checkpoint import Checkpoint, sign_checkpoint
from ledger.tlog.note import vkey_for

A, B, C = UUID(int=0xA), UUID(int=0xB), UUID(int=0xC)
KEYS = KEYS_AGGREGATE_ID
ORIGIN = "example.org/govledger"
TOPIC = "domain.aggregates.model:Model.Registered"
EVENT_ROTATION_LEAF = 5
LOG_ROTATION_LEAF = 8
_PLAN = (A, B, C, A, B, KEYS, C, A, B, C, A, B)


@dataclass
class SyntheticLog:
    """A contiguous signed log: each leaf's aggregate and stored envelope, and the keys."""

    aggregates: list[UUID]
    envelopes: list[bytes]
    event_signers: list[Signer]  # genesis key first
    log_signers: list[Signer]  # genesis log key first
    leaf_hashes: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.leaf_hashes = [leaf_hash(e) for e in self.envelopes]

    def checkpoint(self, size: int | None = None, signer: Signer | None = None) -> str:
        """A checkpoint note of the first ``size`` leaves (all), by ``signer`` (the last)."""
        size = len(self.envelopes) if size is None else size
        signer = signer or self.log_signers[-1]
        checkpoint = Checkpoint(ORIGIN, size, root_hash(self.leaf_hashes[:size]))
        return sign_checkpoint(checkpoint, ORIGIN, signer)

    def leaves_of(self, aggregates: Collection[UUID]) -> list[int]:
        """Leaf 0, every key-history event and every event of ``aggregates``, in leaf order."""
        return [
            leaf
            for leaf, aggregate in enumerate(self.aggregates)
            if leaf == 0 or aggregate == KEYS or aggregate in aggregates
        ]


def synthetic_log(
    *, rotate_log_key: bool = False, stale_signer_at: int | None = None
) -> SyntheticLog:
    """The 12-leaf log; ``stale_signer_at`` signs that leaf (after leaf 5) with the retired key."""
    first, second = Signer.generate(), Signer.generate()
    log_signers = [Signer.generate()] + ([Signer.generate()] if rotate_log_key else [])
    plan = list(_PLAN)
    if rotate_log_key:
        plan[LOG_ROTATION_LEAF] = KEYS
    versions: dict[UUID, int] = {}
    heads: dict[UUID, str] = {}
    envelopes: list[bytes] = []
    for leaf, aggregate in enumerate(plan):
        version = versions[aggregate] = versions.get(aggregate, 0) + 1
        if leaf == EVENT_ROTATION_LEAF:
            unsigned = event_key_rotation(version, first, second)
        elif aggregate == KEYS:
            unsigned = log_key_rotation(version, log_signers[0], log_signers[1])
        else:
            state = canonical_json({"leaf": leaf, "name": f"event {leaf}"})
            unsigned = StoredEvent(aggregate, version, TOPIC, state)
        signer = first if leaf <= EVENT_ROTATION_LEAF or leaf == stale_signer_at else second
        signed = sign_event(unsigned, heads.get(aggregate), signer)
        heads[aggregate] = envelope_digest(signed.state)
        envelopes.append(signed.state)
    return SyntheticLog(plan, envelopes, [first, second], log_signers)


def bundle(
    log: SyntheticLog,
    leaves: Collection[int],
    *,
    checkpoint: str | None = None,
    documents: Mapping[str, bytes] | None = None,
) -> dict[str, bytes]:
    """The bundle of ``leaves``, proven in ``checkpoint`` (the whole log's), manifest signed."""
    chosen = sorted(leaves)
    size = len(log.envelopes)
    files = {
        CHECKPOINT: (checkpoint or log.checkpoint()).encode(),
        LOG_VKEY: f"{vkey_for(ORIGIN, log.log_signers[-1].public_key)}\n".encode(),
        EVENTS: b"".join(event_line(leaf, log.envelopes[leaf]) for leaf in chosen),
        PROOFS: b"".join(
            proof_line(leaf, size, inclusion_proof(log.leaf_hashes, leaf)) for leaf in chosen
        ),
        "README.txt": b"read me\n",
        "annex_iv.html": b"<html><body>Annex IV of the model</body></html>\n",
        **(documents or {}),
    }
    for signer in log.event_signers:
        path = f"{EVENT_KEYS_DIR}/{signer.keyid.removeprefix('sha256:')}.pem"
        files[path] = public_key_pem(signer.public_key)
    return resign(files, log.event_signers[-1])


def resign(files: Mapping[str, bytes], signer: Signer) -> dict[str, bytes]:
    """``files`` with a manifest of all the others signed by ``signer`` (as an insider could)."""
    others = {name: data for name, data in files.items() if name != MANIFEST}
    return {**others, MANIFEST: manifest_bytes(others, {"model": "credit-risk"}, signer)}


def without_line(data: bytes, number: int) -> bytes:
    """``data`` without its line ``number`` (1-based)."""
    lines = data.splitlines(keepends=True)
    return b"".join(lines[: number - 1] + lines[number:])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
