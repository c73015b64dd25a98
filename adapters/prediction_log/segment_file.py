"""The segment file format: checksummed, zlib-compressed blocks of canonical records.

A segment file is the 8-byte magic ``GLPSEG1\\n`` followed by blocks. A block is a 49-byte
header, ``>IIIB16s16sI``: record count, uncompressed length, compressed length, flags, the
smallest and largest record id (UUID bytes), and the CRC-32 of the header's first 45 bytes and
the compressed payload; then the payload, an independent zlib stream (RFC 1950) of the records,
each a 4-byte big-endian length and the record's RFC 8785 bytes. Flag bit 0 marks the last block
of an append batch: a batch is acknowledged only once all its blocks are written, so a reader
recovering after a crash keeps blocks up to the last batch end and drops the rest (a torn or
unacknowledged tail), never an acknowledged record.

Files are named by sequence: ``00000001.seg`` while open, ``00000001.sealed`` once sealed (never
written again), with the sidecar ``00000001.idx`` (canonical JSON: the seal description and the
block index) and ``00000001.recorded`` once the seal's ledger event is recorded. Bytes cut off
an open segment by recovery are kept under ``torn/`` for inspection.
"""

from __future__ import annotations

import json
import os
import struct
import weakref
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.prediction_log.ids import id_bytes
from domain.errors import ArtifactError, InvalidArgumentError
from ledger.encoding.canonical import canonical_json

__all__ = [
    "INDEX_SUFFIX",
    "MAGIC",
    "OPEN_SUFFIX",
    "RECORDED_SUFFIX",
    "SEALED_SUFFIX",
    "Block",
    "Scan",
    "SegmentWriter",
    "block_records",
    "cut_tail",
    "encode_batch",
    "file_name",
    "fsync_directory",
    "iter_records",
    "read_block",
    "read_index",
    "scan",
    "sequence_of",
    "write_durably",
    "write_index",
]

MAGIC = b"GLPSEG1\n"
OPEN_SUFFIX, SEALED_SUFFIX, INDEX_SUFFIX = ".seg", ".sealed", ".idx"
RECORDED_SUFFIX = ".recorded"
BATCH_END = 1
_HEADER = struct.Struct(">IIIB16s16s")
_CRC = struct.Struct(">I")
HEADER_SIZE = _HEADER.size + _CRC.size
_LENGTH = struct.Struct(">I")
_COMPRESSION_LEVEL = 1
"""zlib's fastest level: records of one model repeat their names, so it already packs ~5:1."""
FILE_MODE = 0o600
MAX_BLOCK_BYTES = 256 * 1024 * 1024
"""The most uncompressed bytes a block may hold, so reading one never inflates without bound."""


@dataclass(frozen=True, slots=True)
class Block:
    """Where one block starts, how many records it holds and the range of their ids."""

    offset: int
    count: int
    min_id: str
    max_id: str


def file_name(sequence: int, suffix: str) -> str:
    """``00000042.sealed`` for sequence 42 and suffix ``.sealed``."""
    return f"{sequence:08d}{suffix}"


def sequence_of(path: Path) -> int | None:
    """The sequence a segment file name carries, or None for any other name."""
    stem = path.name.split(".", 1)[0]
    return int(stem) if len(stem) == 8 and stem.isascii() and stem.isdigit() else None


def encode_batch(records: Sequence[bytes], ids: Sequence[str], *, block_records: int) -> bytes:
    """The blocks holding ``records`` with their ``ids``; the last one ends the batch."""
    parts: list[bytes] = []
    for start in range(0, len(records), block_records):
        chunk = records[start : start + block_records]
        chunk_ids = ids[start : start + block_records]
        raw = b"".join([_LENGTH.pack(len(record)) + record for record in chunk])
        if len(raw) > MAX_BLOCK_BYTES:
            raise InvalidArgumentError(
                f"a block of {len(chunk)} records takes {len(raw)} bytes, more than "
                f"{MAX_BLOCK_BYTES}: log fewer records per block"
            )
        payload = zlib.compress(raw, _COMPRESSION_LEVEL)
        flags = BATCH_END if start + block_records >= len(records) else 0
        header = _HEADER.pack(
            len(chunk),
            len(raw),
            len(payload),
            flags,
            id_bytes(min(chunk_ids)),
            id_bytes(max(chunk_ids)),
        )
        parts += (header, _CRC.pack(zlib.crc32(payload, zlib.crc32(header))), payload)
    return b"".join(parts)


def _uuid_text(raw: bytes) -> str:
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(frozen=True, slots=True)
class Scan:
    """What a segment file holds: its acknowledged blocks, and what lies beyond them.

    ``valid_end`` is the offset just after the last complete batch; bytes past it are a torn
    or unacknowledged tail (``tail_records`` counts the records whose block headers could be
    read there), or damage that ``problem`` describes.
    """

    blocks: tuple[Block, ...]
    valid_end: int
    size: int
    tail_records: int
    problem: str | None


def scan(data: bytes) -> Scan:
    """Walk the blocks of a segment file's bytes, checking every length and checksum."""
    if data[: len(MAGIC)] != MAGIC:
        partial = len(data) < len(MAGIC) and MAGIC.startswith(data)
        reason = "the file ends inside its magic" if partial else "the file lacks the magic"
        return Scan((), 0, len(data), 0, reason)
    blocks: list[Block] = []
    offset = valid_end = len(MAGIC)
    acknowledged, problem = 0, None
    while offset < len(data):
        checked = _check_block(data, offset)
        if isinstance(checked, str):
            problem = checked
            break
        block, offset, flags = checked
        blocks.append(block)
        if flags & BATCH_END:
            valid_end, acknowledged = offset, len(blocks)
    tail = sum(block.count for block in blocks[acknowledged:])
    if problem is not None and len(data) - offset >= _HEADER.size:
        tail += _HEADER.unpack_from(data, offset)[0]
    return Scan(tuple(blocks[:acknowledged]), valid_end, len(data), tail, problem)


def _check_block(data: bytes, offset: int) -> tuple[Block, int, int] | str:
    """(block, offset after it, flags) of the block at ``offset``, or what is wrong with it."""
    if len(data) - offset < HEADER_SIZE:
        return f"{len(data) - offset} bytes at offset {offset} are too few for a block"
    count, _, length, flags, low, high = _HEADER.unpack_from(data, offset)
    end = offset + HEADER_SIZE + length
    if end > len(data):
        return f"the block at offset {offset} ends {end - len(data)} bytes past the file"
    (crc,) = _CRC.unpack_from(data, offset + _HEADER.size)
    header = data[offset : offset + _HEADER.size]
    if zlib.crc32(data[offset + HEADER_SIZE : end], zlib.crc32(header)) != crc:
        return f"the block at offset {offset} fails its CRC-32"
    return Block(offset, count, _uuid_text(low), _uuid_text(high)), end, flags


def block_records(data: bytes, offset: int) -> list[bytes]:
    """The canonical records of the (checked) block at ``offset``; ArtifactError if damaged."""
    checked = _check_block(data, offset)
    if isinstance(checked, str):
        raise ArtifactError(f"segment block unreadable: {checked}")
    count, raw_length, length = _HEADER.unpack_from(data, offset)[:3]
    start = offset + HEADER_SIZE
    records: list[bytes] = []
    if raw_length > MAX_BLOCK_BYTES:
        raise ArtifactError(f"the block at offset {offset} declares {raw_length} bytes, too many")
    try:
        # Bounded: a crafted block (its CRC recomputed) must not inflate without limit.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(data[start : start + length], raw_length + 1)
        if not inflater.eof or inflater.unconsumed_tail:
            raise zlib.error("the stream is longer than declared or incomplete")
        position = 0
        while position < len(raw):
            (size,) = _LENGTH.unpack_from(raw, position)
            records.append(raw[position + 4 : position + 4 + size])
            position += 4 + size
    except (zlib.error, struct.error) as exc:
        raise ArtifactError(f"the block at offset {offset} does not decompress: {exc}") from exc
    if len(raw) != raw_length or len(records) != count or position != len(raw):
        raise ArtifactError(f"the block at offset {offset} does not hold the records it declares")
    return records


def read_block(path: Path, offset: int) -> list[bytes]:
    """The canonical records of the block at ``offset`` in the file at ``path``, read alone."""
    with path.open("rb") as handle:
        handle.seek(offset)
        header = handle.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE:
            raise ArtifactError(f"{path} has no block at offset {offset}")
        block = header + handle.read(_HEADER.unpack_from(header)[2])
    try:
        return block_records(block, 0)
    except ArtifactError as exc:
        raise ArtifactError(f"{path.name}, block at offset {offset}: {exc}") from None


def iter_records(data: bytes, blocks: Sequence[Block]) -> Iterator[bytes]:
    """Every canonical record of ``blocks``, in file order."""
    for block in blocks:
        yield from block_records(data, block.offset)


def cut_tail(path: Path, keep: Path) -> Scan:
    """Cut an open segment back to its last complete batch; the cut bytes go to file ``keep``.

    Returns the scan taken before cutting. ``keep`` is for inspection only (never read back).
    """
    found = scan(path.read_bytes())
    if found.valid_end < found.size:
        with path.open("rb") as handle:
            handle.seek(found.valid_end)
            keep.parent.mkdir(mode=0o700, exist_ok=True)
            write_durably(keep, handle.read())
        os.truncate(path, found.valid_end)
        descriptor = os.open(path, os.O_WRONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return found


class SegmentWriter:
    """Appends batches to one open segment file; ``os.write`` per batch, ``fsync`` on ``sync``.

    After ``append`` returns, the batch is in the operating system's cache: it survives the
    process crashing, not the machine losing power. ``sync`` makes everything appended so far
    survive power loss too; ``close`` syncs first.
    """

    def __init__(self, path: Path, *, create: bool) -> None:
        flags = os.O_WRONLY | os.O_APPEND | (os.O_CREAT | os.O_EXCL if create else 0)
        self.path = path
        self._descriptor = os.open(path, flags, FILE_MODE)
        self._release = weakref.finalize(self, os.close, self._descriptor)
        if create:
            self.append(MAGIC)
            self.sync()
            fsync_directory(path.parent)

    def append(self, data: bytes) -> None:
        """Write all of ``data`` at the end of the file."""
        view = memoryview(data)
        while view:
            view = view[os.write(self._descriptor, view) :]

    def sync(self) -> None:
        """Make everything appended durable (``fsync``)."""
        os.fsync(self._descriptor)

    def close(self) -> None:
        """Sync and close the file."""
        if self._descriptor >= 0:
            self.sync()
            self._release()
            self._descriptor = -1


def fsync_directory(path: Path) -> None:
    """Make the names in folder ``path`` durable (creations, renames, removals)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_durably(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file, fsync, rename, fsync folder)."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    fsync_directory(path.parent)


def write_index(path: Path, description: dict[str, object], blocks: Sequence[Block]) -> None:
    """Write the sidecar: the seal ``description`` plus ``blocks`` as [offset, count, min, max]."""
    entries = [[b.offset, b.count, b.min_id, b.max_id] for b in blocks]
    write_durably(path, canonical_json({**description, "blocks": entries}))


def read_index(path: Path) -> tuple[dict[str, object], tuple[Block, ...]]:
    """The seal description and block index a sidecar holds; ArtifactError if unreadable."""
    try:
        content = json.loads(path.read_bytes())
        description = dict(content)
        blocks = tuple(Block(*entry) for entry in description.pop("blocks"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ArtifactError(f"segment index {path} is unreadable: {exc}") from exc
    return description, blocks
