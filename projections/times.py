"""Times on the read side: one UTC spelling that sorts as it compares (RFC 3339)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["parse_time", "utc_text"]


def utc_text(moment: datetime) -> str:
    """``moment`` as RFC 3339 UTC with microseconds (``2026-03-03T09:00:00.000000Z``).

    Every stored time has this one spelling, so text order is time order. A naive datetime
    is refused: the log's times are always zoned.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> str:
    """An RFC 3339 time with an offset (``Z`` or ``+01:00``), in the stored spelling.

    ValueError says what is wrong: not a time, or no offset.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not an RFC 3339 time: write it as 2026-03-03T09:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: add Z (UTC) or an offset like +01:00")
    return utc_text(moment)
