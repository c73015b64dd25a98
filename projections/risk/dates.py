"""Calendar arithmetic of the inventory and the risk register: due dates months after an event."""

from __future__ import annotations

import calendar
from datetime import date, datetime

__all__ = ["months_after"]


def months_after(moment: str, months: int) -> str:
    """The ISO date ``months`` calendar months after the date of ``moment`` (RFC 3339), the
    day clamped to the month's last (2026-01-31 + 1 month = 2026-02-28)."""
    day = datetime.fromisoformat(moment.replace("Z", "+00:00")).date()
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day)).isoformat()
