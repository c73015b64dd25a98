"""Time-ordered prediction ids: UUID version 7 (RFC 9562 section 5.7), monotonic per process.

Layout: 48 bits of Unix time in milliseconds, version 7, 12 bits of ``rand_a`` used as a counter
(RFC 9562 section 6.2, method 1), the variant ``10``, and 62 random bits. Within one generator the
ids strictly increase: when the millisecond repeats (or the clock steps back) the counter counts
on, and when it overflows the timestamp moves one millisecond ahead. The lowercase 36-character
text sorts exactly as the ids do, so comparing texts compares times.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime, timedelta

from domain.errors import InvalidArgumentError

__all__ = ["ID_PATTERN", "IdGenerator", "id_bytes", "new_id", "new_ids", "time_of"]

ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
"""The text of a UUIDv7 as this module writes it (``fullmatch`` it)."""

_COUNTER_LIMIT = 1 << 12
_RANDOM_BITS_MASK = (1 << 62) - 1
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_BATCH = 8 * 512
"""Bytes of OS randomness fetched at once: one ``os.urandom`` call serves 512 ids."""


class IdGenerator:
    """Strictly increasing UUIDv7 texts; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._counter = 0
        self._random = b""
        self._random_at = 0

    def new_id(self, now_ms: int) -> str:
        """Return an id for the Unix time ``now_ms``, greater than every id this generator gave."""
        return self.new_ids(1, now_ms)[0]

    def new_ids(self, count: int, now_ms: int) -> list[str]:
        """``count`` ids for the Unix time ``now_ms``, in increasing order (one lock for all)."""
        if not 0 <= now_ms < 1 << 48:
            raise InvalidArgumentError(f"time {now_ms} ms is outside the 48 bits of a UUIDv7")
        values: list[int] = []
        with self._lock:
            for _ in range(count):
                if now_ms > self._last_ms:
                    self._last_ms, self._counter = now_ms, 0
                else:
                    self._counter += 1
                    if self._counter == _COUNTER_LIMIT:
                        self._last_ms, self._counter = self._last_ms + 1, 0
                if self._random_at == len(self._random):
                    self._random, self._random_at = os.urandom(_RANDOM_BATCH), 0
                start = self._random_at
                self._random_at = start + 8
                random_bits = int.from_bytes(self._random[start : start + 8]) & _RANDOM_BITS_MASK
                values.append(
                    (self._last_ms << 80)
                    | _VERSION_AND_VARIANT
                    | (self._counter << 64)
                    | random_bits
                )
        return [_text(value) for value in values]


def _text(value: int) -> str:
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_PROCESS_GENERATOR = IdGenerator()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_id(now_ms: int) -> str:
    """Return a UUIDv7 text for ``now_ms``, greater than every id this process made before."""
    return _PROCESS_GENERATOR.new_id(now_ms)


def new_ids(count: int, now_ms: int) -> list[str]:
    """``count`` UUIDv7 texts for ``now_ms``, increasing, greater than every id made before."""
    return _PROCESS_GENERATOR.new_ids(count, now_ms)


def id_bytes(prediction_id: str) -> bytes:
    """The 16 bytes of a UUIDv7 text; InvalidArgumentError if it is not one."""
    if not isinstance(prediction_id, str) or ID_PATTERN.fullmatch(prediction_id) is None:
        raise InvalidArgumentError(
            f"{prediction_id!r} is not a prediction id (a lowercase UUIDv7 text such as "
            "'01938f5e-8a3b-7c1d-9e2f-0123456789ab')"
        )
    return bytes.fromhex(prediction_id.replace("-", ""))


def time_of(prediction_id: str) -> datetime:
    """The UTC time (millisecond precision) encoded in a prediction id."""
    milliseconds = int.from_bytes(id_bytes(prediction_id)[:6])
    return _EPOCH + timedelta(milliseconds=milliseconds)
