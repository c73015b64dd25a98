"""Segment files: blocks round-trip, and a torn or unacknowledged tail is found and cut."""

from __future__ import annotations

import stat
import struct
import zlib
from pathlib import Path

import pytest

from adapters.prediction_log import segment_file as files
from adapters.prediction_log.ids import IdGenerator
from domain.errors import ArtifactError

IDS = IdGenerator()


def batch(count: int, *, at: int = 1_796_040_000_000) -> tuple[list[bytes], list[str]]:
    ids = [IDS.new_id(at) for _ in range(count)]
    return [f'{{"id":"{i}","n":{n}}}'.encode() for n, i in enumerate(ids)], ids


def segment(*batches: tuple[list[bytes], list[str]], block_records: int = 4) -> bytes:
    parts = [files.encode_batch(r, i, block_records=block_records) for r, i in batches]
    return files.MAGIC + b"".join(parts)


def test_blocks_round_trip_their_records_in_order_with_their_id_ranges() -> None:
    first, second = batch(10), batch(3)
    data = segment(first, second)

    found = files.scan(data)

    assert found.problem is None
    assert found.valid_end == found.size == len(data)
    assert [block.count for block in found.blocks] == [4, 4, 2, 3]
    assert list(files.iter_records(data, found.blocks)) == first[0] + second[0]
    assert found.blocks[0].min_id == first[1][0]
    assert found.blocks[0].max_id == first[1][3]
    assert found.blocks[3].max_id == second[1][-1]


def test_every_cut_inside_the_last_batch_keeps_exactly_the_batches_before_it() -> None:
    first, second = batch(5), batch(6)
    whole = segment(first, second)
    first_end = len(segment(first))

    for cut in range(first_end + 1, len(whole)):
        found = files.scan(whole[:cut])
        assert found.valid_end == first_end, cut
        assert found.problem is not None or found.tail_records > 0, cut
        assert list(files.iter_records(whole, found.blocks)) == first[0]


def test_complete_blocks_of_an_unfinished_batch_are_counted_as_unacknowledged() -> None:
    first, second = batch(2), batch(9)
    whole = segment(first, second)
    blocks = files.scan(whole).blocks
    end_of_second_block_of_batch = blocks[3].offset  # blocks: [2], [4, 4, 1]

    found = files.scan(whole[:end_of_second_block_of_batch])

    assert found.problem is None
    assert found.valid_end == len(segment(first))
    assert found.tail_records == 8


def test_a_changed_payload_byte_fails_the_checksum() -> None:
    data = bytearray(segment(batch(3), batch(3)))
    data[-5] ^= 0x01

    found = files.scan(bytes(data))

    assert found.problem is not None
    assert "fails its CRC-32" in found.problem
    assert found.valid_end < len(data)


def test_a_crafted_block_that_inflates_past_its_declared_size_is_refused() -> None:
    payload = zlib.compress(b"\x00\x00\x00\x01x" * 100_000)
    low = high = bytes(16)
    header = struct.pack(">IIIB16s16s", 1, 5, len(payload), 1, low, high)
    crc = struct.pack(">I", zlib.crc32(payload, zlib.crc32(header)))
    data = files.MAGIC + header + crc + payload

    found = files.scan(data)

    assert found.problem is None  # the checksum holds: it is no defence against a forger
    with pytest.raises(ArtifactError, match="longer than declared"):
        list(files.iter_records(data, found.blocks))


def test_a_file_without_the_magic_is_reported() -> None:
    assert files.scan(b"not a segment").problem == "the file lacks the magic"
    assert files.scan(files.MAGIC[:3]).problem == "the file ends inside its magic"


def test_cutting_the_tail_keeps_the_cut_bytes_beside_the_file(tmp_path: Path) -> None:
    first = batch(3)
    whole = segment(first, batch(3))
    path = tmp_path / files.file_name(7, files.OPEN_SUFFIX)
    path.write_bytes(whole[:-10])

    found = files.cut_tail(path, tmp_path / "torn" / "cut.tail")

    assert path.read_bytes() == segment(first)
    assert (tmp_path / "torn" / "cut.tail").read_bytes() == whole[found.valid_end : -10]


def test_one_block_reads_alone_and_damage_is_refused(tmp_path: Path) -> None:
    records, ids = batch(9)
    data = segment((records, ids))
    path = tmp_path / "00000001.sealed"
    path.write_bytes(data)
    blocks = files.scan(data).blocks

    assert files.read_block(path, blocks[1].offset) == records[4:8]
    path.write_bytes(data[: blocks[1].offset + 60])
    with pytest.raises(ArtifactError, match=r"00000001.sealed, block at offset \d+: .* past"):
        files.read_block(path, blocks[1].offset)


def test_the_writer_creates_a_private_file_with_the_magic_and_appends(tmp_path: Path) -> None:
    path = tmp_path / files.file_name(1, files.OPEN_SUFFIX)
    records, ids = batch(2)

    writer = files.SegmentWriter(path, create=True)
    writer.append(files.encode_batch(records, ids, block_records=256))
    writer.close()

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == segment((records, ids), block_records=256)
    with pytest.raises(FileExistsError):
        files.SegmentWriter(path, create=True)


def test_the_sidecar_index_round_trips(tmp_path: Path) -> None:
    data = segment(batch(6))
    blocks = files.scan(data).blocks
    path = tmp_path / "00000003.idx"

    files.write_index(path, {"sequence": 3, "digest": "sha256:00"}, blocks)

    assert files.read_index(path) == ({"sequence": 3, "digest": "sha256:00"}, blocks)


def test_an_unreadable_sidecar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "00000003.idx"
    path.write_text("{")

    with pytest.raises(ArtifactError, match=r"00000003\.idx is unreadable"):
        files.read_index(path)


def test_segment_file_names_carry_their_sequence() -> None:
    assert files.file_name(42, files.SEALED_SUFFIX) == "00000042.sealed"
    assert files.sequence_of(Path("00000042.sealed")) == 42
    assert files.sequence_of(Path(".lock")) is None
    assert files.sequence_of(Path("notes.txt")) is None
