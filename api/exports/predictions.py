"""``predictions.jsonl``: the EU AI Act Art. 12 extract of a bundle's prediction logs, with proofs.

For every sealed segment of the model's prediction and feedback logs whose
``PredictionLog.SegmentSealed`` event the bundle carries, the first ``per_segment`` records (a
deterministic sample), each with its proof: record -> segment Merkle root -> the ledger leaf of
the sealed event (in ``events.jsonl``) -> the checkpoint (``proofs.jsonl``). The line format is
``api.exports.predictions_lines``'s; hashes are the prediction log's own (``ledger.merkle``,
leaves are the records' RFC 8785 bytes).

``extract_predictions`` reads the sealed segment files and refuses one that no longer matches
its sealed event. ``check_predictions`` needs only the bundle: each line's proof must lead to
the root the sealed event at its leaf records, for a segment of the bundle's model.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from adapters.prediction_log import segment_file as files
from adapters.prediction_log.proofs import check_sealed_segment
from api.composition import Ledger
from api.exports.context import BundleContext
from api.exports.predictions_lines import SEALED, BundledSegment, bundled_segments, encode_line
from api.prediction_files import prediction_directory
from domain.errors import ArtifactError, InvalidArgumentError
from ledger.encoding.canonical import canonical_json
from ledger.errors import VerificationError
from ledger.merkle import inclusion_proof, leaf_hash, verify_inclusion

__all__ = ["DEFAULT_PER_SEGMENT", "check_predictions", "extract_predictions"]

DEFAULT_PER_SEGMENT = 5
"""How many records of each segment the extract carries: the first ones, in file order."""


def extract_predictions(
    ledger: Ledger, context: BundleContext, *, per_segment: int = DEFAULT_PER_SEGMENT
) -> bytes:
    """The extract's bytes (empty when the bundle carries no sealed segment).

    ArtifactError naming the file when a segment file is missing or differs from what its
    sealed event records; InvalidArgumentError for a negative ``per_segment``.
    """
    if per_segment < 0:
        raise InvalidArgumentError(f"per_segment is {per_segment}: give 0 or more records")
    lines: list[bytes] = []
    for segment in bundled_segments(context):
        records = _sealed_records(ledger, segment)
        leaves = [leaf_hash(record) for record in records]
        for index, record in enumerate(records[:per_segment]):
            lines.append(
                encode_line(segment, index, _as_object(record), inclusion_proof(leaves, index))
            )
    return b"".join(lines)


def _sealed_records(ledger: Ledger, segment: BundledSegment) -> list[bytes]:
    """The canonical records of a segment's file, once it is checked against its sealed event."""
    directory = prediction_directory(
        ledger.settings.home, UUID(segment.version_id), segment.environment, segment.kind
    )
    path = directory / files.file_name(segment.sequence, files.SEALED_SUFFIX)
    problems = check_sealed_segment(path, segment.digest, segment.merkle_root, segment.record_count)
    if problems:
        raise ArtifactError(
            f"segment {segment.sequence} of {segment.model} version {segment.version}'s "
            f"{segment.kind} log in {segment.environment} (sealed at leaf {segment.leaf}) "
            f"cannot be extracted: {'; '.join(problems)}. Restore the file from a backup"
        )
    data = path.read_bytes()
    return list(files.iter_records(data, files.scan(data).blocks))


def _as_object(record: bytes) -> dict[str, Any]:
    """The record as JSON; ArtifactError unless re-encoding it gives back its very bytes."""
    value = json.loads(record)
    if not isinstance(value, dict) or canonical_json(value) != record:
        raise ArtifactError(f"a logged record is not canonical JSON: {record[:80]!r}")
    return value


def check_predictions(
    data: bytes, context: BundleContext, *, per_segment: int = DEFAULT_PER_SEGMENT
) -> list[str]:
    """What is wrong with an extract against the bundle (empty: nothing); never raises.

    Each line must prove its record into the root recorded by the sealed event at its
    ``sealed_leaf``, a segment of the bundle's model; and the extract must hold exactly the
    first ``per_segment`` records of each such segment, once each.
    """
    segments = {segment.leaf: segment for segment in bundled_segments(context)}
    problems: list[str] = []
    seen: dict[tuple[int, int], int] = {}
    lines = data.split(b"\n")
    if lines[-1]:
        problems.append(f"line {len(lines)}: does not end with a newline")
    for number, raw in enumerate(lines[:-1] if not lines[-1] else lines, start=1):
        found = _check_line(raw, context, segments)
        if isinstance(found, str):
            problems.append(f"line {number}: {found}")
            continue
        if found in seen:
            problems.append(
                f"line {number}: repeats record {found[1]} of the segment sealed at leaf "
                f"{found[0]} (line {seen[found]})"
            )
        seen.setdefault(found, number)
    for leaf, segment in segments.items():
        for index in range(min(per_segment, segment.record_count)):
            if (leaf, index) not in seen:
                problems.append(
                    f"record {index} of segment {segment.sequence} ({segment.kind} log of "
                    f"version {segment.version} in {segment.environment}, sealed at leaf "
                    f"{leaf}) is missing from the extract"
                )
    return problems


_FIELDS = {
    "model": str,
    "version": int,
    "environment": str,
    "kind": str,
    "segment": int,
    "segment_size": int,
    "segment_root": str,
    "sealed_leaf": int,
    "record_index": int,
    "proof": list,
    "record": dict,
}


def _check_line(
    raw: bytes, context: BundleContext, segments: dict[int, BundledSegment]
) -> tuple[int, int] | str:
    """(sealed leaf, record index) of a line whose proof holds, or what is wrong with it."""
    line = _parsed(raw)
    if isinstance(line, str):
        return line
    leaf = line["sealed_leaf"]
    segment = segments.get(leaf)
    if segment is None:
        return _not_a_segment(context, leaf)
    stated = tuple(line[name] for name in _SEGMENT_FIELDS)
    recorded = tuple(getattr(segment, name) for name in _SEGMENT_ATTRIBUTES)
    if stated != recorded:
        return f"it describes its segment as {stated}; the event at leaf {leaf} records {recorded}"
    try:
        verify_inclusion(
            leaf_hash(canonical_json(line["record"])),
            line["record_index"],
            segment.record_count,
            [bytes.fromhex(value) for value in line["proof"]],
            bytes.fromhex(segment.merkle_root),
        )
    except (VerificationError, ValueError, TypeError) as exc:
        return (
            f"its record {line['record_index']} does not prove into the root of segment "
            f"{segment.sequence} sealed at leaf {leaf}: {exc}"
        )
    return leaf, line["record_index"]


_SEGMENT_FIELDS = {
    "model": "model",
    "version": "version",
    "environment": "environment",
    "kind": "kind",
    "segment": "sequence",
    "segment_size": "record_count",
    "segment_root": "merkle_root",
}
"""A line's fields about its segment, and the segment's attribute each must equal."""
_SEGMENT_ATTRIBUTES = tuple(_SEGMENT_FIELDS.values())


def _parsed(raw: bytes) -> dict[str, Any] | str:
    """The line as a JSON object with every field of its kind, or what is wrong with it."""
    try:
        line = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return f"is not JSON ({exc})"
    if not isinstance(line, dict):
        return "is not a JSON object"
    for name, kind in _FIELDS.items():
        value = line.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return f"its {name!r} is missing or not a{'n' if kind is int else ''} {kind.__name__}"
    return line


def _not_a_segment(context: BundleContext, leaf: int) -> str:
    """Why ``leaf`` names no sealed segment of the bundle's model."""
    event = context.event_at(leaf)
    if event is None:
        return f"its sealed_leaf {leaf} is not an event of the bundle"
    if event.name != SEALED:
        return f"its sealed_leaf {leaf} is a {event.name} event, not a sealed segment"
    return f"its sealed_leaf {leaf} seals a segment of another model's (or version's) log"
