"""The prediction log: records appended to segment files, sealed into one ledger-ready description.

A ``PredictionLog`` owns one folder (one per kind: predictions, feedback). ``append`` writes a
batch durably into the open segment; once it holds ``seal_every`` records, or is older than
``seal_after``, it is sealed: the file is synced and renamed ``.sealed`` (never written again)
and a ``SealedSegment`` describes it (file digest, record count, id and time range, RFC 6962
Merkle root over the records' leaf hashes, and the summariser's result).

Delivery to the ledger is pull-based and restart-safe: ``unrecorded()`` lists every sealed
segment whose ledger event is not yet confirmed, from disk after a restart as well; the caller
records each as one signed event, then calls ``mark_recorded(sequence)``. A crash before the
mark only means the segment is offered again. Opening a log recovers what a crash left: the
unsealed segment is cut back to its last acknowledged batch (the cut bytes kept under ``torn/``)
and sealed; ``recovery`` reports what was sealed and dropped. Sealed sequences have no gaps: an
open segment left holding nothing acknowledged is removed and its sequence used again.

What is fsynced when: a new segment file (and its folder entry) at creation; nothing per
``append``, which returns once its batch is written to the OS (so it survives a crash of the
process, not of the machine); everything appended so far on ``sync()`` and ``close()``; at
sealing the file, the sidecar, the rename and the folder; a recorded marker and its folder;
and a segment cut back by recovery. A caller needing power-loss durability per batch calls
``sync()`` after ``append``.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.prediction_log import segment_file as files
from adapters.prediction_log.records import KINDS, encode_record
from adapters.prediction_log.sealed import RecoveryReport, SealedSegment
from domain.errors import ArtifactError, InvalidArgumentError, InvalidStateError, PortError
from ledger.encoding.digests import sha256_digest
from ledger.merkle import leaf_hash, root_hash

__all__ = ["PredictionLog", "RecoveryReport", "SealedSegment", "Summariser"]

Summariser = Callable[[Sequence[Mapping[str, object]]], Mapping[str, object]]


@dataclass
class _OpenSegment:
    sequence: int
    writer: files.SegmentWriter
    opened_at: datetime
    count: int = 0
    first_id: str = ""
    last_id: str = ""
    start: str = ""
    end: str = ""
    records: list[Mapping[str, object]] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)


class PredictionLog:
    """Append-only, sealed-in-segments log of one ``kind`` of record in ``directory``.

    Opening runs recovery (see ``recovery``) and takes an exclusive lock on the folder. Records
    handed to ``append`` must not be changed afterwards: the summariser sees them at sealing.
    """

    def __init__(
        self,
        directory: Path,
        *,
        seal_every: int,
        seal_after: timedelta,
        summariser: Summariser | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        kind: str = "prediction",
        block_records: int = 256,
    ) -> None:
        if seal_every < 1 or seal_after <= timedelta(0) or not 1 <= block_records <= 65536:
            raise InvalidArgumentError(
                "seal_every and block_records must be positive (block_records <= 65536) "
                "and seal_after longer than zero"
            )
        if kind not in KINDS:
            raise InvalidArgumentError(f"kind {kind!r} is not one of {list(KINDS)}")
        self.directory, self.kind = directory, kind
        self._seal_every, self._seal_after, self._block_records = (
            seal_every,
            seal_after,
            block_records,
        )
        self._summariser, self._clock = summariser, clock
        self._mutex = threading.Lock()
        self._open: _OpenSegment | None = None
        self._pending: dict[int, SealedSegment] = {}
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock_descriptor = _lock_folder(directory)
        # A log dropped without close() must not keep its folder locked for the process's life.
        self._release = weakref.finalize(self, os.close, self._lock_descriptor)
        self._next_sequence = 1
        self.recovery = RecoveryReport()
        self.recover()

    def append(self, records: Sequence[Mapping[str, object]]) -> list[str]:
        """Log ``records`` as one all-or-nothing batch; return their ids once written.

        Bad records are refused before anything is written (InvalidArgumentError naming the
        record's position and field). A segment that is due is sealed before the batch is
        written (by age) or after (by count); if sealing fails, the batch is written all the
        same and PortError says so: the segment is sealed by a later seal, or by ``recover()``.
        """
        encoded = self._encode(records)
        ids = [str(record["id"]) for record in records]
        if len(set(ids)) != len(ids):
            raise InvalidArgumentError("the batch holds the same record id twice")
        with self._mutex:
            self._check_open()
            if not ids:
                return ids
            failure = self._try_seal() if self._open and self._is_due(self._open) else None
            segment = self._open or self._start_segment()
            segment.writer.append(
                files.encode_batch(encoded, ids, block_records=self._block_records)
            )
            self._note(segment, records, ids)
            segment.leaves += map(leaf_hash, encoded)
            if failure is None and segment.count >= self._seal_every:
                failure = self._try_seal()
        if failure is not None:
            raise PortError(f"the records are logged, but sealing failed: {failure}") from failure
        return ids

    def recover(self) -> RecoveryReport:
        """Seal what a crash left open, rebuild lost sidecars, queue every unrecorded segment.

        Runs when the log is opened (its report is kept as ``recovery``); running it again is
        harmless and leaves this log's own open segment alone.
        """
        with self._mutex:
            self._check_open()
            self.recovery = self._recover()
            return self.recovery

    def seal(self) -> SealedSegment | None:
        """Seal the open segment now if it holds records; return its description."""
        with self._mutex:
            return self._seal_open()

    def seal_if_due(self) -> SealedSegment | None:
        """Seal the open segment if it is older than ``seal_after`` (for a caller's timer)."""
        with self._mutex:
            return self._seal_open() if self._open and self._is_due(self._open) else None

    def unrecorded(self) -> list[SealedSegment]:
        """Sealed segments whose ledger event is not yet marked recorded, by sequence."""
        with self._mutex:
            return [self._pending[sequence] for sequence in sorted(self._pending)]

    def mark_recorded(self, sequence: int) -> None:
        """Note durably that segment ``sequence``'s ledger event is recorded (idempotent)."""
        with self._mutex:
            marker = self.directory / files.file_name(sequence, files.RECORDED_SUFFIX)
            if sequence not in self._pending and not marker.exists():
                raise InvalidArgumentError(f"segment {sequence} is not sealed in {self.directory}")
            files.write_durably(marker, b"")
            self._pending.pop(sequence, None)

    def sync(self) -> None:
        """fsync the open segment: everything appended so far survives power loss."""
        with self._mutex:
            if self._open is not None:
                self._open.writer.sync()

    def close(self) -> None:
        """Sync and close; the open segment stays open on disk and is sealed on next open."""
        with self._mutex:
            if self._open is not None:
                self._open.writer.close()
                self._open = None
            if self._lock_descriptor >= 0:
                self._release()
                self._lock_descriptor = -1

    def __enter__(self) -> PredictionLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _encode(self, records: Sequence[Mapping[str, object]]) -> list[bytes]:
        encoded: list[bytes] = []
        for position, record in enumerate(records):
            try:
                if type(record) is not dict and not isinstance(record, Mapping):
                    raise InvalidArgumentError("a record must be an object")
                if record.get("kind") != self.kind:
                    raise InvalidArgumentError(f"a {self.kind} log takes only {self.kind} records")
                encoded.append(encode_record(record))
            except InvalidArgumentError as exc:
                raise InvalidArgumentError(f"record {position}: {exc}") from None
        return encoded

    def _is_due(self, segment: _OpenSegment) -> bool:
        return self._clock() - segment.opened_at >= self._seal_after

    def _start_segment(self) -> _OpenSegment:
        path = self.directory / files.file_name(self._next_sequence, files.OPEN_SUFFIX)
        writer = files.SegmentWriter(path, create=True)
        self._open = _OpenSegment(self._next_sequence, writer, self._clock())
        self._next_sequence += 1
        return self._open

    def _note(
        self, segment: _OpenSegment, records: Sequence[Mapping[str, object]], ids: list[str]
    ) -> None:
        times = [str(record["time"]) for record in records]
        earliest, latest = min(times), max(times)
        if not segment.count:
            segment.first_id, segment.start, segment.end = ids[0], earliest, latest
        segment.count += len(ids)
        segment.last_id = ids[-1]
        segment.start, segment.end = min(segment.start, earliest), max(segment.end, latest)
        if self._summariser is not None:
            segment.records.extend(records)

    def _try_seal(self) -> Exception | None:
        """Seal the open segment; the exception instead of raising it, so the batch is logged."""
        try:
            self._seal_open()
        except Exception as exc:  # any failure, the summariser's included: reported after
            return exc
        return None

    def _check_open(self) -> None:
        if self._lock_descriptor < 0:
            raise InvalidStateError("the prediction log is closed")

    def _seal_open(self) -> SealedSegment | None:
        segment = self._open
        if segment is None or not segment.count:
            return None
        summary = dict(self._summariser(segment.records)) if self._summariser else {}
        segment.writer.close()
        self._open = None
        path = segment.writer.path
        data = path.read_bytes()
        found = files.scan(data)
        if found.problem or found.valid_end != len(data):
            raise ArtifactError(f"open segment {path} changed under the log: {found.problem}")
        held = sum(block.count for block in found.blocks)
        if held != segment.count:
            raise ArtifactError(f"{path} holds {held} records, not {segment.count}")
        facts = {
            "first_id": segment.first_id,
            "last_id": segment.last_id,
            "start": segment.start,
            "end": segment.end,
            "summary": summary,
        }
        return self._publish(path, data, found.blocks, segment.leaves, facts)

    def _seal_file(self, path: Path, data: bytes, blocks: Sequence[files.Block]) -> SealedSegment:
        """Seal (or re-index) a segment file from its content alone, as recovery must."""
        canonical = list(files.iter_records(data, blocks))
        records = [json.loads(record) for record in canonical]
        times = [str(record["time"]) for record in records]
        facts = {
            "first_id": records[0]["id"],
            "last_id": records[-1]["id"],
            "start": min(times),
            "end": max(times),
            "summary": dict(self._summariser(records)) if self._summariser else {},
        }
        return self._publish(path, data, blocks, [leaf_hash(r) for r in canonical], facts)

    def _publish(
        self,
        path: Path,
        data: bytes,
        blocks: Sequence[files.Block],
        leaves: Sequence[bytes],
        facts: Mapping[str, object],
    ) -> SealedSegment:
        """Write the sidecar, rename the file ``.sealed`` and queue it for the ledger."""
        sequence = files.sequence_of(path)
        assert sequence is not None  # the log names every segment file by its sequence
        sealed = SealedSegment.from_description(
            self.directory,
            {
                **facts,
                "sequence": sequence,
                "file": files.file_name(sequence, files.SEALED_SUFFIX),
                "digest": sha256_digest(data),
                "record_count": len(leaves),
                "merkle_root": root_hash(leaves).hex(),
                "kind": self.kind,
            },
        )
        index = self.directory / files.file_name(sequence, files.INDEX_SUFFIX)
        files.write_index(index, sealed.description(), blocks)
        if path != sealed.path:
            os.replace(path, sealed.path)
            files.fsync_directory(self.directory)
        self._pending[sequence] = sealed
        return sealed

    def _recover(self) -> RecoveryReport:
        live = self._open.sequence if self._open is not None else None
        present: dict[int, set[str]] = {}
        for path in self.directory.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink()  # an interrupted durable write; its target is intact
            elif (sequence := files.sequence_of(path)) is not None and sequence != live:
                present.setdefault(sequence, set()).add(path.suffix)
        report = RecoveryReport()
        for sequence, suffixes in sorted(present.items()):
            if files.OPEN_SUFFIX in suffixes and files.SEALED_SUFFIX not in suffixes:
                recovered = self._recover_open(sequence)
                report = report.merged(recovered)
                suffixes.discard(files.OPEN_SUFFIX)
                if recovered.sealed:
                    suffixes.add(files.SEALED_SUFFIX)
            elif files.SEALED_SUFFIX in suffixes and files.INDEX_SUFFIX not in suffixes:
                path = self._path(sequence, files.SEALED_SUFFIX)
                data = path.read_bytes()
                self._seal_file(path, data, files.scan(data).blocks)
                report = report.merged(problem=f"segment {sequence}: its lost index is rebuilt")
            elif files.OPEN_SUFFIX in suffixes:
                report = report.merged(problem=f"segment {sequence}: both open and sealed files")
            if suffixes & {files.OPEN_SUFFIX, files.SEALED_SUFFIX}:
                self._next_sequence = max(self._next_sequence, sequence + 1)
            if files.RECORDED_SUFFIX in suffixes:
                self._pending.pop(sequence, None)
            elif files.SEALED_SUFFIX in suffixes:
                description, _ = files.read_index(self._path(sequence, files.INDEX_SUFFIX))
                self._pending[sequence] = SealedSegment.from_description(
                    self.directory, description
                )
        return report.merged(unrecorded=tuple(self._pending[s] for s in sorted(self._pending)))

    def _recover_open(self, sequence: int) -> RecoveryReport:
        """Cut an open segment back to its last acknowledged batch, then seal or remove it."""
        path = self._path(sequence, files.OPEN_SUFFIX)
        keep = self.directory / "torn" / f"{path.name}.{time.time_ns()}.tail"
        cut = files.cut_tail(path, keep)
        problems = [f"segment {sequence}: {cut.problem}"] if cut.problem else []
        if cut.valid_end < cut.size:
            problems.append(f"segment {sequence}: the cut tail is kept as {keep}")
        sealed: tuple[SealedSegment, ...] = ()
        if cut.blocks:
            sealed = (self._seal_file(path, path.read_bytes(), cut.blocks),)
        else:
            path.unlink()
            self._path(sequence, files.INDEX_SUFFIX).unlink(missing_ok=True)
            files.fsync_directory(self.directory)
        return RecoveryReport(
            sealed=sealed,
            dropped_records=cut.tail_records,
            dropped_bytes=cut.size - cut.valid_end,
            problems=tuple(problems),
        )

    def _path(self, sequence: int, suffix: str) -> Path:
        return self.directory / files.file_name(sequence, suffix)


def _lock_folder(directory: Path) -> int:
    descriptor = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise InvalidStateError(
            f"another prediction log has {directory} open; one writer per folder"
        ) from None
    return descriptor
