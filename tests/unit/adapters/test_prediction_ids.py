"""Prediction ids: UUIDv7 texts that sort as they were made and carry their millisecond."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from adapters.prediction_log.ids import ID_PATTERN, IdGenerator, id_bytes, new_id, new_ids, time_of
from domain.errors import InvalidArgumentError

NOW = datetime(2026, 11, 30, 12, 0, 0, 123_000, tzinfo=UTC)
NOW_MS = 1_796_040_000_123


def test_ids_are_uuid_version_7_texts_carrying_their_millisecond() -> None:
    assert int(NOW.timestamp() * 1000) == NOW_MS
    text = IdGenerator().new_id(NOW_MS)

    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert time_of(text) == NOW


def test_ids_strictly_increase_within_one_millisecond_and_across_milliseconds() -> None:
    generator = IdGenerator()
    ids = [generator.new_id(NOW_MS + step // 1000) for step in range(3000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [uuid.UUID(i).int for i in ids] == sorted(uuid.UUID(i).int for i in ids)


def test_a_full_counter_moves_the_timestamp_one_millisecond_ahead() -> None:
    generator = IdGenerator()
    ids = [generator.new_id(NOW_MS) for _ in range(4097)]

    assert ids == sorted(set(ids))
    assert time_of(ids[4095]) == NOW
    assert time_of(ids[4096]) == NOW + timedelta(milliseconds=1)


def test_a_clock_stepping_back_does_not_break_the_order() -> None:
    generator = IdGenerator()
    later = generator.new_id(NOW_MS)
    earlier_clock = generator.new_id(NOW_MS - 5_000)

    assert earlier_clock > later
    assert time_of(earlier_clock) == time_of(later)


def test_two_generators_in_the_same_millisecond_give_different_ids() -> None:
    assert IdGenerator().new_id(NOW_MS) != IdGenerator().new_id(NOW_MS)


def test_the_process_generator_is_monotonic() -> None:
    first, second = new_id(NOW_MS), new_id(NOW_MS)

    assert first < second


@pytest.mark.parametrize(
    "text",
    [
        "not-an-id",
        "01938F5E-8A3B-7C1D-9E2F-0123456789AB",  # upper case is not the canonical text
        "01938f5e-8a3b-4c1d-9e2f-0123456789ab",  # version 4
        "01938f5e-8a3b-7c1d-7e2f-0123456789ab",  # wrong variant
        "01938f5e8a3b7c1d9e2f0123456789ab",
    ],
)
def test_malformed_ids_are_refused_with_what_an_id_looks_like(text: str) -> None:
    with pytest.raises(InvalidArgumentError, match="lowercase UUIDv7"):
        time_of(text)


def test_id_bytes_are_the_uuid_bytes() -> None:
    text = IdGenerator().new_id(NOW_MS)

    assert id_bytes(text) == uuid.UUID(text).bytes


@pytest.mark.parametrize("milliseconds", [-1, 1 << 48])
def test_times_outside_48_bits_are_refused(milliseconds: int) -> None:
    with pytest.raises(InvalidArgumentError, match="48 bits"):
        IdGenerator().new_id(milliseconds)


def test_a_batch_of_ids_increases_and_follows_the_ids_made_before() -> None:
    before = new_id(1_700_000_000_000)
    batch = new_ids(1000, 1_700_000_000_000)

    assert len(set(batch)) == 1000
    assert all(ID_PATTERN.fullmatch(i) for i in batch)
    assert [before, *batch] == sorted([before, *batch])
    assert new_id(1_700_000_000_000) > batch[-1]
