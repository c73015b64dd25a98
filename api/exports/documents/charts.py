"""Inline SVG bar charts for the regulatory documents, embedded as ``data:`` images.

Deterministic: numbers are formatted with a fixed precision, bars keep the caller's order, and
every label is XML-escaped. No fonts, scripts or external references.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["bar_chart", "number"]

_WIDTH = 640
_BAR = 18
_GAP = 6
_LABEL = 260
_TOP = 40


def number(value: float, digits: int = 4) -> str:
    """``value`` rounded to ``digits`` decimals, without trailing zeros ("0.8", "3.1076")."""
    rounded = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if rounded in ("-0", "") else rounded


def bar_chart(
    title: str, bars: Sequence[tuple[str, float]], threshold: float | None = None, alt: str = ""
) -> str:
    """An ``<img>`` of a horizontal bar chart of ``bars`` (label, value), with an optional
    dashed ``threshold`` line; empty string when there are no bars."""
    if not bars:
        return ""
    top = max([value for _, value in bars] + ([threshold] if threshold is not None else []))
    scale = max(top, 1e-9)
    plot = _WIDTH - _LABEL - 70
    height = _TOP + len(bars) * (_BAR + _GAP) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for row, (label, value) in enumerate(bars):
        y = _TOP + row * (_BAR + _GAP)
        length = max(value, 0.0) / scale * plot
        parts.append(f'<text x="4" y="{y + 13}">{escape(label)}</text>')
        parts.append(
            f'<rect x="{_LABEL}" y="{y}" width="{number(length, 2)}" height="{_BAR}" '
            'fill="#4a6fa5"/>'
        )
        parts.append(
            f'<text x="{number(_LABEL + length + 4, 2)}" y="{y + 13}">{number(value)}</text>'
        )
    if threshold is not None:
        x = number(_LABEL + threshold / scale * plot, 2)
        parts.append(
            f'<line x1="{x}" y1="{_TOP - 4}" x2="{x}" y2="{height - 6}" stroke="#c00" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x}" y="{_TOP - 6}" fill="#c00">threshold {number(threshold)}</text>'
        )
    parts.append("</svg>")
    encoded = base64.b64encode("".join(parts).encode("utf-8")).decode("ascii")
    description = escape(alt or title, {'"': "&quot;"})
    return f'<img class="chart" alt="{description}" src="data:image/svg+xml;base64,{encoded}">'
