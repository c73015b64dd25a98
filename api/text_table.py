"""Plain-text tables for the command line's human output."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_CELL", "format_table"]


MAX_CELL = 120
"""Characters shown of one cell; longer ones end in an ellipsis (``--json`` has them whole)."""


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell, a rule under the headers; ``-`` for empty cells,
    cells longer than ``MAX_CELL`` cut short with an ellipsis."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for column, text in enumerate(row):
            widths[column] = max(widths[column], len(text))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(t.ljust(w) for t, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None or value in ("", []):
        return "-"
    if isinstance(value, list | tuple):
        return _short(", ".join(str(item) for item in value))
    return _short(str(value).replace("\n", " "))


def _short(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "\u2026"
