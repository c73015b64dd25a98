"""Find a logged record by its id without a database: segment by id range, block by index.

Every block header and every sealed segment's sidecar index carries the smallest and largest id
of its records. Ids are time-ordered, so a lookup reads the (cached) sidecars, picks the segment
and block whose range holds the id (normally exactly one), and decompresses that one block. The
open segment has no sidecar yet: its block headers are scanned instead.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.prediction_log import segment_file as files
from adapters.prediction_log.ids import id_bytes
from domain.errors import NotFoundError

__all__ = ["FoundRecord", "find_record", "sealed_description", "segment_blocks"]

_ATTEMPTS = 3
"""Lookups racing a seal (the open file renamed meanwhile) start over this many times."""
_INDEX_CACHE_SIZE = 4096


@dataclass(frozen=True)
class FoundRecord:
    """A logged record, its canonical bytes, and where it sits (leaf index in its segment)."""

    record: dict[str, object]
    canonical: bytes
    segment_sequence: int
    index_in_segment: int
    sealed: bool


def find_record(directory: Path, prediction_id: str) -> FoundRecord:
    """The record with id ``prediction_id`` in the log folder; NotFoundError if none."""
    id_bytes(prediction_id)  # refuses a malformed id with a message saying what an id is
    for _ in range(_ATTEMPTS):
        try:
            return _find(directory, prediction_id)
        except FileNotFoundError:
            continue  # a segment was sealed (renamed) while we read it
    return _find(directory, prediction_id)


def _find(directory: Path, prediction_id: str) -> FoundRecord:
    sealed, opened = _segment_files(directory)
    for sequence, path in sealed:
        index = _CACHE.index(path)
        if index.low <= prediction_id <= index.high:
            found = _search(path, index.blocks, prediction_id, sequence, sealed=True)
            if found is not None:
                return found
    for sequence, path in opened:
        found = _search(path, files.scan(path.read_bytes()).blocks, prediction_id, sequence)
        if found is not None:
            return found
    raise NotFoundError(f"no record with id {prediction_id} is logged in {directory}")


def _segment_files(directory: Path) -> tuple[list[tuple[int, Path]], list[tuple[int, Path]]]:
    """(sequence, path) of sealed and of open segment files, newest first (likelier hits)."""
    if not directory.is_dir():
        raise NotFoundError(f"{directory} holds no prediction log")
    sealed: list[tuple[int, Path]] = []
    opened: list[tuple[int, Path]] = []
    for path in directory.iterdir():
        sequence = files.sequence_of(path)
        if sequence is not None and path.suffix == files.SEALED_SUFFIX:
            sealed.append((sequence, path))
        elif sequence is not None and path.suffix == files.OPEN_SUFFIX:
            opened.append((sequence, path))
    return sorted(sealed, reverse=True), sorted(opened, reverse=True)


def _search(
    path: Path,
    blocks: Sequence[files.Block],
    prediction_id: str,
    sequence: int,
    *,
    sealed: bool = False,
) -> FoundRecord | None:
    before = 0
    for block in blocks:
        if block.min_id <= prediction_id <= block.max_id:
            records = files.read_block(path, block.offset)
            needle = f'"id":"{prediction_id}"'.encode()
            for position, canonical in enumerate(records):
                if needle in canonical:
                    record = json.loads(canonical)
                    if record.get("id") == prediction_id:
                        return FoundRecord(record, canonical, sequence, before + position, sealed)
        before += block.count
    return None


@dataclass(frozen=True)
class _Index:
    blocks: tuple[files.Block, ...]
    low: str
    high: str
    description: dict[str, object]

    @classmethod
    def of(cls, blocks: tuple[files.Block, ...], description: dict[str, object]) -> _Index:
        low = min((block.min_id for block in blocks), default="")
        high = max((block.max_id for block in blocks), default="")
        return cls(blocks, low, high, description)


class _IndexCache:
    """Sidecar block indexes by path, valid while the sidecar's size and mtime are unchanged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Path, tuple[tuple[int, int], _Index]] = OrderedDict()

    def index(self, sealed_path: Path) -> _Index:
        index_path = sealed_path.with_suffix(files.INDEX_SUFFIX)
        try:
            status = index_path.stat()
        except FileNotFoundError:
            # Sealed but its sidecar not yet (re)written: read the block headers instead.
            return _Index.of(files.scan(sealed_path.read_bytes()).blocks, {})
        stamp = (status.st_size, status.st_mtime_ns)
        with self._lock:
            entry = self._entries.get(index_path)
            if entry is not None and entry[0] == stamp:
                self._entries.move_to_end(index_path)
                return entry[1]
        description, blocks = files.read_index(index_path)
        index = _Index.of(blocks, description)
        with self._lock:
            self._entries[index_path] = (stamp, index)
            if len(self._entries) > _INDEX_CACHE_SIZE:
                self._entries.popitem(last=False)
        return index


_CACHE = _IndexCache()


def segment_blocks(sealed_path: Path) -> tuple[files.Block, ...]:
    """The block index of a sealed segment, from its sidecar (cached)."""
    return _CACHE.index(sealed_path).blocks


def sealed_description(sealed_path: Path) -> dict[str, object]:
    """The seal description its sidecar holds ({} while the sidecar is missing); cached."""
    return _CACHE.index(sealed_path).description
