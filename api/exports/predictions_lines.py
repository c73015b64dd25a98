"""The lines of ``predictions.jsonl`` and the sealed prediction-log segments a bundle carries.

A line is the canonical JSON (RFC 8785) of one logged record with its proof, then ``\\n``:

- ``record``: the record as logged (its canonical bytes are the segment's Merkle leaf);
- ``model``, ``version``, ``environment``, ``kind``: the log it belongs to;
- ``segment``, ``segment_size``, ``segment_root``: the segment's sequence, record count and
  RFC 6962 Merkle root (hex), as its ``PredictionLog.SegmentSealed`` event records them;
- ``sealed_leaf``: the ledger leaf of that event, carried by the bundle (``events.jsonl``);
- ``record_index``, ``proof``: the record's leaf index in the segment and its inclusion proof,
  RFC 9162 PATH(index, D[n]) (hex hashes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.exports.context import BundleContext
from ledger.encoding.canonical import canonical_json
from projections.catalog import PREDICTION_LOG

__all__ = ["SEALED", "BundledSegment", "bundled_segments", "encode_line"]

SEALED = "PredictionLog.SegmentSealed"


@dataclass(frozen=True, slots=True)
class BundledSegment:
    """A sealed segment of the bundle's model: its sealed event's leaf and facts, and its log."""

    leaf: int
    sequence: int
    record_count: int
    merkle_root: str
    digest: str
    model: str
    version: int
    version_id: str
    environment: str
    kind: str


def bundled_segments(context: BundleContext) -> list[BundledSegment]:
    """The segments whose sealed events the bundle carries, of its model (and its one version,
    if any), in leaf order; the log each belongs to is named by the bundle's own events."""
    segments = []
    for event in context.events:
        if event.name != SEALED:
            continue
        log = context.view.document(PREDICTION_LOG, event.payload.aggregate_id, context.as_of)
        if log is None or log.body["model"] != context.model:
            continue
        if context.version is not None and log.body["number"] != context.version:
            continue
        state = event.state
        segments.append(
            BundledSegment(
                leaf=event.leaf_index,
                sequence=int(state["sequence"]),
                record_count=int(state["record_count"]),
                merkle_root=str(state["merkle_root"]),
                digest=str(state["digest"]),
                model=str(log.body["model"]),
                version=int(log.body["number"]),
                version_id=str(log.body["version_id"]),
                environment=str(log.body["environment"]),
                kind=str(log.body["kind"]),
            )
        )
    return segments


def encode_line(
    segment: BundledSegment, index: int, record: dict[str, Any], proof: list[bytes]
) -> bytes:
    """The line of record ``index`` of ``segment`` with its inclusion ``proof``."""
    line = {
        "model": segment.model,
        "version": segment.version,
        "environment": segment.environment,
        "kind": segment.kind,
        "segment": segment.sequence,
        "segment_size": segment.record_count,
        "segment_root": segment.merkle_root,
        "sealed_leaf": segment.leaf,
        "record_index": index,
        "proof": [value.hex() for value in proof],
        "record": record,
    }
    return canonical_json(line) + b"\n"
